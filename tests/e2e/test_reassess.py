"""Reassessing from last time in a browser (issue 15, point 5): a year on, the MP starts
from their last submitted answers, each marked "from last time", confirms a section in one
go, changes one answer, sees on the review page what is still unconfirmed, and submits;
with and without JavaScript, and axe on every page it touches."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.assessments import services
from apps.assessments.models import Answer, Assessment
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LAST_TIME = {
    "T-ACC-01": "no",
    "T-ACC-02": "yes",
    "T-ACC-03": "yes",
    "T-DEV-01": "yes",
    "T-DEV-02": "no",
    "T-GOV-01": "yes",
}


@pytest.fixture
def submitted_last_year(db, alice):
    pack = pack_load_data(minimal_pack_data()).pack
    assessment = services.assessment_start(actor=alice, pack=pack)
    for control, key in LAST_TIME.items():
        services.answer_save(
            actor=alice, assessment=assessment, control_key=control, answer_key=key
        )
    services.assessment_submit(actor=alice, assessment=assessment)
    return assessment


def _no_serious_violations(page):
    assert axe_violations(page) == [], page.url


def _carried(assessment) -> set[str]:
    return set(
        Answer.objects.filter(assessment=assessment, from_last_time=True).values_list(
            "control_key", flat=True
        )
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_reassess_from_last_time_confirm_a_section_change_one_review_and_submit(
    signed_in, live_server, alice, submitted_last_year, javascript
):
    page = signed_in(alice, javascript=javascript, bypass_csp=True)
    page.goto(f"{live_server.url}/assessments/")
    _no_serious_violations(page)
    page.get_by_role("button", name="Reassess").click()

    # The new assessment opens on its first section, every answer there from last time.
    newer = Assessment.objects.exclude(pk=submitted_last_year.pk).get(user=alice)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your accounts")
    expect(page.locator(".portcullis-from-last-time")).to_have_count(3)
    expect(page.locator("#question-T-ACC-01").get_by_label("No", exact=True)).to_be_checked()
    # Progress counts carried answers as done, and says how many are left to check.
    expect(page.locator("#progress-to-confirm")).to_contain_text("6 answers from last time")
    _no_serious_violations(page)

    # Confirm the whole section in one go.
    page.get_by_role("button", name="Confirm all in this section").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your devices")
    expect(page.locator(".portcullis-from-last-time")).to_have_count(3)
    assert _carried(newer) == {"T-DEV-01", "T-DEV-02", "T-GOV-01"}
    expect(page.locator("#progress-to-confirm")).to_contain_text("3 answers from last time")
    _no_serious_violations(page)

    # Change one answer (T-DEV-02 is now partly in place) and move on: the answers left
    # as they were stay "from last time"; only the changed one is confirmed by the change.
    question = page.locator("#question-T-DEV-02")
    if javascript:
        with page.expect_response(lambda r: r.url.endswith("/answer/") and r.status == 200):
            question.get_by_label("Partly", exact=True).check()
        expect(question.locator(".portcullis-from-last-time")).to_have_count(0)
        expect(page.locator(".portcullis-from-last-time")).to_have_count(2)
        expect(page.locator("#progress-to-confirm")).to_contain_text("2 answers from last time")
        _no_serious_violations(page)
    else:
        question.get_by_label("Partly", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    # The review page lists what is still unconfirmed, each linked to its section.
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before you submit"
    )
    assert Answer.objects.get(assessment=newer, control_key="T-DEV-02").answer_key == "partly"
    assert _carried(newer) == {"T-DEV-01", "T-GOV-01"}
    unconfirmed = page.locator("#unconfirmed li")
    expect(unconfirmed).to_have_count(2)
    expect(unconfirmed.nth(0)).to_contain_text("Keep devices updated")
    expect(page.locator("#progress-to-confirm")).to_contain_text("2 answers from last time")
    _no_serious_violations(page)

    page.get_by_role("button", name="Submit and see my results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    newer.refresh_from_db()
    assert newer.is_submitted
    answers = dict(Answer.objects.filter(assessment=newer).values_list("control_key", "answer_key"))
    assert answers == {**LAST_TIME, "T-DEV-02": "partly"}
    _no_serious_violations(page)


def test_confirm_all_goes_away_once_every_answer_on_the_page_is_confirmed(
    signed_in, live_server, alice, submitted_last_year
):
    page = signed_in(alice, javascript=True)
    page.goto(f"{live_server.url}/assessments/")
    page.get_by_role("button", name="Reassess").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your accounts")
    confirm_all = page.get_by_role("button", name="Confirm all in this section")
    for control, new_answer in (("T-ACC-01", "Yes"), ("T-ACC-02", "No"), ("T-ACC-03", "No")):
        expect(confirm_all).to_be_visible()
        with page.expect_response(lambda r: r.url.endswith("/answer/") and r.status == 200):
            page.locator(f"#question-{control}").get_by_label(new_answer, exact=True).check()
    expect(page.locator(".portcullis-from-last-time")).to_have_count(0)
    expect(confirm_all).to_be_hidden()
    expect(page.locator("#progress-to-confirm")).to_contain_text("3 answers from last time")
