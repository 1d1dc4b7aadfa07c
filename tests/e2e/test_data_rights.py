"""A person, in a real browser, downloads their data and closes their account; afterwards a
raw SQL read finds none of their answers or notes (issue 12, "done when")."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from playwright.sync_api import expect

from apps.assessments.models import Answer
from tests.e2e.conftest import axe_violations
from tests.factories import TEST_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTE = "Only on my work account."


def _raw_answers() -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Answer._meta.db_table}")  # noqa: S608
        return cursor.fetchall()


def test_a_person_downloads_their_data_then_closes_their_account(
    signed_in, live_server, alice, submit
):
    assessment = submit(alice)
    assert _raw_answers() and NOTE not in repr(_raw_answers())  # sealed even before
    page = signed_in(alice, bypass_csp=True)  # axe is injected as an inline script

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your data")
    assert axe_violations(page) == []

    page.get_by_role("button", name="Download your data").click()
    page.get_by_label("Password").fill(TEST_PASSWORD)  # allauth asks for it again
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Continue").click()
    with open(download_info.value.path(), encoding="utf-8") as handle:
        data = json.load(handle)
    assert data["account"]["email"] == alice.email
    (exported,) = data["assessments"]
    assert exported["id"] == str(assessment.public_id)
    assert NOTE in [answer["note"] for answer in exported["answers"]]

    page.goto(f"{live_server.url}/your-data/")
    page.get_by_role("button", name="Close your account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Close your account")
    assert axe_violations(page) == []
    page.get_by_label("Your password").fill(TEST_PASSWORD)
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Close my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is closed")

    assert _raw_answers() == []
