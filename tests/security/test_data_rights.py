"""A person's data rights (ARCHITECTURE §7; SECURITY_TESTS 14 "exporting data needs a recent
re-authentication"): download everything as JSON; close the account after typing the password
again, after which a raw SQL read finds none of their answers or notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from axes.models import AccessLog
from django.core.files.storage import storages
from django.db import connection
from django.urls import reverse

from apps.accounts.models import Membership, User
from apps.assessments.models import Answer, Assessment
from apps.audit.models import AuditEvent
from apps.reports.models import RemediationReport
from apps.reports.services import report_request
from apps.scoring.models import Score
from tests.factories import TEST_PASSWORD
from tests.security.flows import reauthenticate, sign_in

pytestmark = pytest.mark.django_db

EXPORT = reverse("privacy:export")
CLOSE = reverse("privacy:close")
NOTE = "Only on my work account."


@pytest.fixture
def alice_with_report(alice, submit, django_capture_on_commit_callbacks):
    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=alice, assessment=assessment)
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.READY, report.error
    return report


def test_the_download_needs_a_recent_sign_in(client_for, alice):
    response = client_for(alice).post(EXPORT)

    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response["Location"]


def test_a_person_downloads_all_their_data(client, alice, alice_with_report):
    sign_in(client, alice.email)
    reauthenticate(client)

    response = client.post(EXPORT)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    assert data["account"]["email"] == alice.email
    assert [f["type"] for f in data["account"]["second_factors"]] == ["totp"]
    assert "secret" not in json.dumps(data["account"])
    assert data["memberships"][0]["organisation"] == alice.membership.organisation.name
    (assessment,) = data["assessments"]
    answers = {a["question"]: a for a in assessment["answers"]}
    assert answers["T-ACC-01"] == {**answers["T-ACC-01"], "answer": "no", "note": NOTE}
    assert assessment["scores"][0]["exposures"]
    (report,) = assessment["reports"]
    assert report["id"] == str(alice_with_report.public_id)
    assert report["pdf_sha256"] == alice_with_report.sha256
    assert {f["kind"] for f in report["files"]} == {"pdf", "html"}
    assert any(row["action"] == "login.succeeded" for row in data["activity"])
    assert AuditEvent.objects.filter(action="personal_data.exported", actor=alice).count() == 1


def test_the_download_holds_nothing_of_anyone_else(client, alice, charlie, submit):
    submit(charlie, {"T-ACC-01": ("no", "charlie's own note")})
    sign_in(client, alice.email)
    reauthenticate(client)

    body = client.post(EXPORT).content.decode()

    assert "charlie" not in body


def _raw_answer_rows(assessment_ids) -> list:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Answer._meta.db_table}")  # noqa: S608
        return [row for row in cursor.fetchall() if row[1] in assessment_ids or NOTE in str(row)]


def test_closing_the_account_deletes_answers_notes_reports_and_files(
    client_for, alice, alice_with_report, private_storage, django_capture_on_commit_callbacks
):
    assessment_ids = list(Assessment.objects.filter(user=alice).values_list("pk", flat=True))
    files = [alice_with_report.pdf_name, alice_with_report.html_name]
    assert all(storages["private"].exists(name) for name in files)
    AccessLog.objects.create(username=alice.email, ip_address="192.0.2.1", user_agent="x")
    client = client_for(alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CLOSE, {"password": TEST_PASSWORD, "confirm": "on"})

    assert response.status_code == 302 and response["Location"] == reverse("privacy:closed")
    assert not User.objects.filter(email=alice.email).exists()
    assert not AccessLog.objects.filter(username=alice.email).exists()
    assert not _raw_answer_rows(assessment_ids)
    assert not Assessment.objects.filter(pk__in=assessment_ids).exists()
    assert not Score.objects.filter(assessment_id__in=assessment_ids).exists()
    assert not RemediationReport.objects.filter(pk=alice_with_report.pk).exists()
    assert not any(storages["private"].exists(name) for name in files)
    assert not any(p.is_file() for p in Path(private_storage).rglob("*"))
    # The session is over.
    assert client.get("/").status_code == 302


def test_audit_events_stay_with_the_label_and_the_organisation_keeps_counts(
    client_for, alice, org_a, alice_with_report
):
    client_for(alice).post(CLOSE, {"password": TEST_PASSWORD, "confirm": "on"})

    closed = AuditEvent.objects.get(action="account.closed")
    assert closed.actor is None and closed.subject is None
    assert closed.actor_label == "alice@example.org"
    assert closed.organisation == org_a
    assert closed.detail["assessments"] == 1 and closed.detail["answers"] >= 5
    assert AuditEvent.objects.filter(action="assessment.submit", actor_label=alice.email).exists()


def test_a_wrong_password_closes_nothing(client_for, alice, alice_with_report):
    response = client_for(alice).post(CLOSE, {"password": "not my password", "confirm": "on"})

    assert response.status_code == 400
    assert "The password is not right" in response.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()
    assert Answer.objects.filter(assessment__user=alice).exists()


def test_the_password_is_asked_even_just_after_signing_in(client, alice):
    sign_in(client, alice.email)

    response = client.post(CLOSE, {"confirm": "on"})

    assert response.status_code == 400
    assert User.objects.filter(pk=alice.pk).exists()


def test_the_only_admin_of_an_organisation_with_people_cannot_leave_it_headless(
    client_for, bob, alice
):
    response = client_for(bob).post(CLOSE, {"password": TEST_PASSWORD, "confirm": "on"})

    assert response.status_code == 400
    assert "only admin" in response.content.decode()
    assert Membership.objects.filter(user=bob).exists()


def test_the_download_says_who_has_seen_the_answers_and_why(client, alice, bob, submit):
    from apps.compliance.services import DETAIL_REASONS, detail_view_record

    assessment = submit(alice)
    detail_view_record(actor=bob, assessment=assessment, what="answers", reason=DETAIL_REASONS[0])
    sign_in(client, alice.email)
    reauthenticate(client)

    data = json.loads(client.post(EXPORT).content)

    (seen,) = data["who_has_seen_your_answers"]
    assert seen["viewer"] == bob.email
    assert seen["what"] == "answers"
    assert seen["reason"] == DETAIL_REASONS[0]
    assert seen["occurred_at"]
