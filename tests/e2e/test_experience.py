"""A newcomer's walk through the questionnaire (issue 15): progress only goes up, revealed
questions are shown before moving on (with and without JavaScript), the panel asks for
answers before it shows a number, and submitting shows it is working."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.assessments.models import Answer, Assessment
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def test_pack(db):
    return pack_load_data(minimal_pack_data()).pack


def _question(page, control_id):
    return page.locator(f"#question-{control_id}")


def _start(page, live_server, pack):
    page.goto(f"{live_server.url}/assessments/")
    page.get_by_role("button", name=f"Start {pack.title}").click()
    return Assessment.objects.get(pack=pack)


def _done(page) -> tuple[int, int]:
    text = page.locator("#progress-label").inner_text()
    done, total = re.search(r"(\d+) of (\d+)", text).groups()
    return int(done), int(total)


def _choose(page, control_id, label, *, javascript):
    radio = _question(page, control_id).get_by_label(label, exact=True)
    if javascript:
        with page.expect_response(lambda r: r.url.endswith("/answer/") and r.status == 200):
            radio.check()
        expect(_question(page, control_id).locator(".portcullis-saved")).to_be_visible()
    else:
        radio.check()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_save_and_continue_after_an_answer_that_opens_questions_stays_and_shows_them(
    signed_in, live_server, alice, test_pack, javascript
):
    page = signed_in(alice, javascript=javascript, bypass_csp=True)
    assessment = _start(page, live_server, test_pack)
    expect(page.locator(".govuk-caption-l")).to_contain_text("section 1 of 2")
    if javascript:
        # Before any answer the panel asks for some, rather than showing "100 critical".
        expect(page.locator("#live-panel")).to_contain_text(
            "Answer a few questions to see your exposure"
        )
        expect(page.locator("#live-panel .portcullis-score")).to_have_count(0)
    assert _done(page) == (0, 6)

    for control, label in [("T-ACC-01", "No"), ("T-ACC-02", "Always"), ("T-ACC-03", "Yes")]:
        _choose(page, control, label, javascript=javascript)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your devices")
    expect(page.locator(".govuk-caption-l")).to_contain_text("section 2 of 2")
    assert _done(page) == (3, 6)

    _choose(page, "T-DEV-01", "Yes", javascript=javascript)
    _choose(page, "T-GOV-01", "No", javascript=javascript)
    if javascript:
        expect(_question(page, "T-DEV-02")).to_be_visible()
        # Progress counted T-DEV-02 from the start: its appearance moved nothing back.
        assert _done(page) == (5, 6)
    page.get_by_role("button", name="Save and continue").click()

    # Both paths: still on the section, told why, the opened question in view.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your devices")
    expect(page.get_by_text("Your answers opened more questions in this section.")).to_be_visible()
    expect(_question(page, "T-DEV-02")).to_be_visible()
    assert page.url.endswith("#question-T-DEV-02")
    assert _done(page) == (5, 6)
    if javascript:
        assert axe_violations(page) == []

    _choose(page, "T-DEV-02", "Partly", javascript=javascript)
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before you submit"
    )
    assert _done(page) == (6, 6)
    assert Answer.objects.filter(assessment=assessment).count() == 6


def test_a_no_answer_settles_the_question_it_would_have_opened(
    signed_in, live_server, alice, test_pack
):
    page = signed_in(alice, javascript=False)
    _start(page, live_server, test_pack)
    page.goto(page.url.replace("/accounts/", "/devices/"))
    _choose(page, "T-DEV-01", "No", javascript=False)
    page.get_by_role("button", name="Save and continue").click()
    # T-DEV-01 answered and T-DEV-02 ruled out: two done, of the same six.
    assert _done(page) == (2, 6)


def test_submit_shows_it_is_working_cannot_be_sent_twice_and_never_waits_for_the_pdf(
    signed_in, live_server, alice, test_pack
):
    page = signed_in(alice, bypass_csp=True)
    assessment = _start(page, live_server, test_pack)
    _choose(page, "T-ACC-01", "No", javascript=True)
    page.goto(f"{live_server.url}/assessments/{assessment.public_id}/review/")
    assert axe_violations(page) == []

    submits = []
    page.on("request", lambda r: submits.append(r) if r.url.endswith("/submit/") else None)
    # A listener after the page's own sees the button as the person does once it is
    # pressed, and presses again (kept in sessionStorage across the navigation).
    page.evaluate(
        """() => {
            const form = document.querySelector("form[data-portcullis-busy]");
            form.addEventListener("submit", () => {
                const button = form.querySelector("button");
                sessionStorage.setItem("busy", JSON.stringify(
                    [button.textContent, button.getAttribute("aria-disabled")]));
                setTimeout(() => form.requestSubmit(button), 0);
            }, {once: true});
        }"""
    )
    page.get_by_role("button", name="Submit and see my results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    assert page.evaluate("() => JSON.parse(sessionStorage.getItem('busy'))") == [
        "Submitting your answers…",
        "true",
    ]
    assert len(submits) == 1
    # The results came before the PDF: the status says it is on its way, then the links
    # appear without a reload.
    expect(page.locator("[data-report-status]")).to_have_attribute(
        "data-report-status", re.compile("queued|running|ready")
    )
    expect(page.get_by_role("link", name=re.compile("Download the report \\(PDF"))).to_be_visible(
        timeout=60_000
    )
