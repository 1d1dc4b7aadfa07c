"""A member takes the self-assessment in a real browser, from home page to results."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from playwright.sync_api import expect

from apps.assessments.models import Answer, Assessment
from apps.catalogue.services import pack_load_data, pack_load_file
from tests.catalogue.packs import minimal_pack_data
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def test_pack(db):
    return pack_load_data(minimal_pack_data()).pack


def _question(page, control_id):
    return page.locator(f"#question-{control_id}")


def _answer_live(page, control_id, label):
    """Choose an answer with JavaScript on: it is saved at once and the question comes back."""
    with page.expect_response(lambda r: r.url.endswith("/answer/") and r.status == 200):
        _question(page, control_id).get_by_label(label, exact=True).check()
    expect(_question(page, control_id).locator(".portcullis-saved")).to_be_visible()


def _stored(assessment):
    return dict(
        Answer.objects.filter(assessment=assessment).values_list("control_key", "answer_key")
    )


def _start(page, live_server, pack):
    page.goto(f"{live_server.url}/assessments/")
    page.get_by_role("button", name=f"Start {pack.title}").click()
    return Assessment.objects.get(pack=pack)


def test_with_javascript_answers_save_as_given_and_the_panel_moves(
    signed_in, live_server, alice, test_pack
):
    page = signed_in(alice)
    assessment = _start(page, live_server, test_pack)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your accounts")

    _answer_live(page, "T-ACC-01", "Yes")
    expect(page.locator("#live-panel")).to_contain_text(
        re.compile(r"Your last answer moved this from \d+ to \d+\.")
    )
    expect(page.locator("#progress")).to_contain_text("1 of 6")
    _answer_live(page, "T-ACC-02", "Sometimes")
    # A note without an answer: the question comes back with its error, nothing saved.
    _question(page, "T-ACC-03").get_by_text("Add a note (optional)").click()
    with page.expect_response(lambda r: r.url.endswith("/answer/") and r.status == 400):
        _question(page, "T-ACC-03").get_by_label("Note (optional)").fill("ask IT")
        page.keyboard.press("Tab")
    expect(_question(page, "T-ACC-03").locator(".govuk-error-message")).to_contain_text(
        "Choose an answer to save your note"
    )
    assert "T-ACC-03" not in _stored(assessment)
    _answer_live(page, "T-ACC-03", "I'm not sure")
    expect(_question(page, "T-ACC-03").locator(".govuk-error-message")).to_have_count(0)
    assert Answer.objects.get(assessment=assessment, control_key="T-ACC-03").note == "ask IT"
    assert _stored(assessment) == {"T-ACC-01": "yes", "T-ACC-02": "sometimes", "T-ACC-03": "unsure"}

    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your devices")
    expect(_question(page, "T-DEV-02")).to_be_hidden()
    _answer_live(page, "T-DEV-01", "Yes")
    expect(_question(page, "T-DEV-02")).to_be_visible()  # branching, without a reload
    expect(page.locator("#progress")).to_contain_text("4 of 6")
    _answer_live(page, "T-DEV-02", "No")
    _answer_live(page, "T-GOV-01", "Yes")
    _question(page, "T-GOV-01").get_by_text("Add a note (optional)").click()
    with page.expect_response(lambda r: r.url.endswith("/answer/") and r.status == 200):
        _question(page, "T-GOV-01").get_by_label("Note (optional)").fill("Ask the whips' office")
        page.keyboard.press("Tab")  # leaving the note saves it
    expect(_question(page, "T-GOV-01").get_by_text("Your note")).to_be_visible()
    assert Answer.objects.get(assessment=assessment, control_key="T-GOV-01").note == (
        "Ask the whips' office"
    )

    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before you submit"
    )
    expect(page.locator("#unsure")).to_contain_text("Does a password manager")
    page.get_by_role("button", name="Submit and see my results").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    expect(
        page.get_by_role("img", name=re.compile(r"Account takeover: exposure \d+ out of 100"))
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Do these first")).to_be_visible()
    # No broker here: the report rendered in-process as the submit committed.
    expect(page.get_by_role("link", name="Download the report (PDF")).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.is_submitted
    assert page.csp_errors == []


def test_without_javascript_the_whole_questionnaire_still_works(
    signed_in, live_server, alice, test_pack
):
    page = signed_in(alice, javascript=False)
    assessment = _start(page, live_server, test_pack)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your accounts")

    for control, label in [("T-ACC-01", "No"), ("T-ACC-02", "Always"), ("T-ACC-03", "Yes")]:
        _question(page, control).get_by_label(label, exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your devices")
    assert _stored(assessment) == {"T-ACC-01": "no", "T-ACC-02": "yes", "T-ACC-03": "yes"}

    _question(page, "T-DEV-01").get_by_label("Yes", exact=True).check()
    _question(page, "T-GOV-01").get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()
    # The answer opened a question on this section: the page says so and shows it.
    expect(page.get_by_text("Your answers opened more questions in this section.")).to_be_visible()
    expect(_question(page, "T-DEV-02")).to_be_visible()
    _question(page, "T-DEV-02").get_by_label("Partly", exact=True).check()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check your answers before you submit"
    )
    page.get_by_role("button", name="Submit and see my results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    expect(page.locator("#baseline-not-met")).to_contain_text(
        "Turn on 2-step verification on personal email"
    )
    assessment.refresh_from_db()
    assert assessment.is_submitted
    assert _stored(assessment)["T-DEV-02"] == "partly"


def test_a_shipped_pack_section_by_keyboard_alone_on_a_320px_screen(signed_in, live_server, alice):
    pack = pack_load_file(settings.CATALOGUE_PACKS_DIR / "high-risk-individuals.yaml").pack
    page = signed_in(alice, width=320)
    assessment = _start(page, live_server, pack)
    first_section = page.get_by_role("heading", level=1).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320

    # Tab through the page; on the first radio of each unanswered question press Space
    # (which saves it), until the "Save and continue" button, then press Enter.
    answered: set[str] = set()
    for _ in range(400):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return {tag: e.tagName, type: e.type || '', name: e.name || '',"
            " text: (e.innerText || '').trim()}; }"
        )
        if focused["type"] == "radio" and focused["name"] not in answered:
            with page.expect_response(lambda r: r.url.endswith("/answer/")):
                page.keyboard.press("Space")
            page.wait_for_function("() => !document.querySelector('.htmx-request')")
            answered.add(focused["name"])
        elif focused["tag"] == "BUTTON" and focused["text"] == "Save and continue":
            page.keyboard.press("Enter")
            break
    else:
        pytest.fail("never reached Save and continue by keyboard")

    expect(page.get_by_role("heading", level=1)).not_to_have_text(first_section)
    assert len(answered) >= 3
    assert len(_stored(assessment)) == len(answered)

    page.goto(f"{live_server.url}/assessments/{assessment.public_id}/review/")
    page.get_by_role("button", name="Submit and see my results").focus()
    page.keyboard.press("Enter")
    # Without a broker the report renders in-process as the submit commits (several
    # seconds for a long report on a loaded machine) before the results page loads.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results", timeout=30_000)
    expect(page.get_by_role("img", name=re.compile(r"exposure \d+ out of 100"))).to_have_count(
        len(Assessment.objects.get(pk=assessment.pk).pack.content["scenarios"])
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 320


def test_home_question_review_and_results_pages_pass_axe(signed_in, live_server, alice, test_pack):
    page = signed_in(alice, bypass_csp=True)  # axe is injected as an inline script
    assessment = _start(page, live_server, test_pack)
    _answer_live(page, "T-ACC-01", "No")
    _answer_live(page, "T-ACC-02", "I'm not sure")

    pages = {
        "question": page.url,
        "review": f"{live_server.url}/assessments/{assessment.public_id}/review/",
    }
    found = {}
    for name, url in pages.items():
        page.goto(url)
        found[name] = axe_violations(page)
    page.get_by_role("button", name="Submit and see my results").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    found["results"] = axe_violations(page)
    page.goto(f"{live_server.url}/assessments/")
    found["home"] = axe_violations(page)

    assert found == {"question": [], "review": [], "results": [], "home": []}
