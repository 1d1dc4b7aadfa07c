"""The questionnaire pages as a person (or an intruder) meets them."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from apps.assessments import services
from apps.assessments.models import Answer, Assessment


def _url(name, assessment, *args):
    return reverse(f"assessments:{name}", args=[assessment.public_id, *args])


def _answers(assessment):
    return dict(
        Answer.objects.filter(assessment=assessment).values_list("control_key", "answer_key")
    )


def _htmx_answer(client, assessment, control, answer, note="", **extra):
    data = {"control": control, f"answer-{control}": answer, f"note-{control}": note, **extra}
    return client.post(_url("answer", assessment), data, HTTP_HX_REQUEST="true")


# --- home and start --------------------------------------------------------------------
def test_home_lists_the_packs_for_her_audience_and_starts_one(client_for, alice, pack):
    client = client_for(alice)
    page = client.get(reverse("assessments:home"))
    assert page.status_code == 200
    body = page.content.decode()
    assert pack.title in body
    assert reverse("assessments:start", args=[pack.public_id]) in body
    assert "no-store" in page["Cache-Control"]

    started = client.post(reverse("assessments:start", args=[pack.public_id]))
    assessment = Assessment.objects.get(user=alice)
    assert started.status_code == 302
    assert started["Location"] == _url("resume", assessment)

    resumed = client.get(started["Location"])
    assert resumed["Location"] == _url("section", assessment, "accounts") + "#question-T-ACC-01"


def test_a_pack_outside_her_audience_cannot_be_started(client_for, dave, pack):
    # dave is an election official; the test pack is for parliamentarians and staff.
    response = client_for(dave).post(reverse("assessments:start", args=[pack.public_id]))
    assert response.status_code == 404
    assert not Assessment.objects.exists()


def test_home_shows_progress_reassess_and_the_trend(client_for, alice, alice_assessment):
    for control in ("T-ACC-01", "T-ACC-02"):
        services.answer_save(
            actor=alice, assessment=alice_assessment, control_key=control, answer_key="no"
        )
    client = client_for(alice)
    assert "2 of 6 done" in client.get(reverse("assessments:home")).content.decode()

    services.assessment_submit(actor=alice, assessment=alice_assessment)
    again = client.post(_url("reassess", alice_assessment))
    newer = Assessment.objects.exclude(pk=alice_assessment.pk).get(user=alice)
    assert again["Location"] == _url("resume", newer)
    services.answer_save(actor=alice, assessment=newer, control_key="T-ACC-01", answer_key="yes")
    services.assessment_submit(actor=alice, assessment=newer)

    body = client.get(reverse("assessments:home")).content.decode()
    assert 'class="portcullis-sparkline"' in body
    assert re.search(r"Account takeover: exposure \d+, then \d+", body)


# --- the section page -------------------------------------------------------------------
def test_the_section_page_asks_each_question_in_a_fieldset_with_why_it_matters(
    client_for, alice, alice_assessment
):
    response = client_for(alice).get(_url("section", alice_assessment, "accounts"))
    body = response.content.decode()

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert body.count('<fieldset class="govuk-fieldset"') == 3
    assert "Is 2-step verification on for every personal email account?" in body
    assert "in “Account takeover” it helps block “Get past sign-in”." in body
    assert (
        "in “Account takeover” it helps block “Phish the password on a look-alike page” and "
        "“Reuse a password from another breach”." in body
    )
    assert "Baseline hygiene: shortens any incident." not in body  # T-GOV-01 is elsewhere
    assert 'name="answer-T-ACC-02" type="radio" value="sometimes"' in body
    assert 'for="note-T-ACC-01"' in body
    assert "<strong>0 of 6</strong> questions done" in body
    assert 'id="live-panel"' in body
    assert "<script>" not in body and 'style="' not in body


def test_an_unknown_section_is_404(client_for, alice, alice_assessment):
    response = client_for(alice).get(_url("section", alice_assessment, "no-such-section"))
    assert response.status_code == 404


def test_an_answer_saved_with_htmx_returns_the_question_and_the_live_panel(
    client_for, alice, alice_assessment
):
    client = client_for(alice)
    response = _htmx_answer(client, alice_assessment, "T-ACC-01", "yes", note="on Gmail")
    body = response.content.decode()

    assert response.status_code == 200
    assert _answers(alice_assessment) == {"T-ACC-01": "yes"}
    assert body.lstrip().startswith('<div id="question-T-ACC-01"')
    assert 'value="yes" checked' in body
    assert 'id="live-panel"' in body and 'hx-swap-oob="true"' in body
    assert re.search(r"Your last answer moved this from (\d+) to (\d+)\.", body)
    before, after = map(int, re.search(r"moved this from (\d+) to (\d+)", body).groups())
    assert after < before
    assert "<strong>1 of 6</strong> questions done" in body


def test_an_answer_that_opens_a_question_sends_it_along(client_for, alice, alice_assessment):
    client = client_for(alice)
    body = _htmx_answer(client, alice_assessment, "T-DEV-01", "yes").content.decode()
    assert re.search(
        r'<div id="question-T-DEV-02" class="portcullis-question" hx-swap-oob="true"\s+hx-post',
        body,
    )
    assert "Is Lockdown Mode on for your phone?" in body

    body = _htmx_answer(client, alice_assessment, "T-DEV-01", "no").content.decode()
    assert (
        '<div id="question-T-DEV-02" class="portcullis-question" hx-swap-oob="true" hidden></div>'
        in body
    )


def test_an_answer_without_javascript_redirects_back_to_the_question(
    client_for, alice, alice_assessment
):
    response = client_for(alice).post(
        _url("answer", alice_assessment), {"control": "T-ACC-03", "answer-T-ACC-03": "no"}
    )
    assert response.status_code == 302
    assert (
        response["Location"] == _url("section", alice_assessment, "accounts") + "#question-T-ACC-03"
    )
    assert _answers(alice_assessment) == {"T-ACC-03": "no"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"control": "T-ACC-01", "answer-T-ACC-01": "maybe"}, "Choose one of the answers"),
        (
            {"control": "T-ACC-01", "note-T-ACC-01": "note only"},
            "Choose an answer to save your note",
        ),
        ({"control": "T-DEV-02", "answer-T-DEV-02": "yes"}, "does not apply"),
    ],
)
def test_bad_htmx_answers_get_400_with_the_question_and_its_error(
    client_for, alice, alice_assessment, data, message
):
    response = client_for(alice).post(
        _url("answer", alice_assessment), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "govuk-error-message" in response.content.decode()
    assert _answers(alice_assessment) == {}


def test_an_unknown_question_gets_400_and_nothing_changes(client_for, alice, alice_assessment):
    client = client_for(alice)
    response = _htmx_answer(client, alice_assessment, "Z-ZZZ-01", "yes")
    assert response.status_code == 400
    assert "not part of this assessment" in response.content.decode()
    plain = client.post(_url("answer", alice_assessment), {"control": "Z-ZZZ-01", "answer": "yes"})
    assert plain.status_code == 400
    assert "Nothing was changed" in plain.content.decode()
    assert _answers(alice_assessment) == {}


def test_the_whole_section_saves_without_javascript_and_moves_on(
    client_for, alice, alice_assessment
):
    client = client_for(alice)
    response = client.post(
        _url("section", alice_assessment, "accounts"),
        {
            "answer-T-ACC-01": "yes",
            "answer-T-ACC-02": "sometimes",
            "note-T-ACC-02": "on the phone",
            "answer-T-ACC-03": "unsure",
            "action": "continue",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _url("section", alice_assessment, "devices")
    assert _answers(alice_assessment) == {
        "T-ACC-01": "yes",
        "T-ACC-02": "sometimes",
        "T-ACC-03": "unsure",
    }
    assert Answer.objects.get(control_key="T-ACC-02").note == "on the phone"


def test_a_section_answer_that_opens_a_question_stays_on_the_section(
    client_for, alice, alice_assessment
):
    response = client_for(alice).post(
        _url("section", alice_assessment, "devices"),
        {"answer-T-DEV-01": "yes", "answer-T-GOV-01": "yes", "action": "continue"},
    )
    assert (
        response["Location"] == _url("section", alice_assessment, "devices") + "#question-T-DEV-02"
    )


def test_a_bad_section_shows_an_error_summary_keeps_her_choices_and_saves_nothing(
    client_for, alice, alice_assessment
):
    response = client_for(alice).post(
        _url("section", alice_assessment, "accounts"),
        {"answer-T-ACC-01": "yes", "answer-T-ACC-02": "bogus", "note-T-ACC-03": "no answer"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body
    assert 'href="#answer-T-ACC-02-yes"' in body
    assert "Choose an answer to “Does a password manager" in body
    assert (
        'id="answer-T-ACC-01-yes" name="answer-T-ACC-01" type="radio" value="yes" checked' in body
    )
    assert _answers(alice_assessment) == {}


# --- review, submit, results --------------------------------------------------------------
def test_review_lists_unanswered_and_unsure_questions_with_links(
    client_for, alice, alice_assessment
):
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key="unsure"
    )
    body = client_for(alice).get(_url("review", alice_assessment)).content.decode()
    unanswered = body.split('id="unanswered"')[1].split("</ul>")[0]
    unsure = body.split('id="unsure"')[1].split("</ul>")[0]
    assert "Does a password manager" in unanswered
    assert _url("section", alice_assessment, "accounts") + "#question-T-ACC-03" in unanswered
    assert "Is 2-step verification on" in unsure
    assert "Is 2-step verification on" not in unanswered


def test_submit_locks_and_shows_the_results(client_for, alice, alice_assessment):
    client = client_for(alice)
    for control, key in [("T-ACC-01", "no"), ("T-ACC-02", "no"), ("T-ACC-03", "yes")]:
        _htmx_answer(client, alice_assessment, control, key)

    response = client.post(_url("submit", alice_assessment))
    assert response["Location"] == _url("results", alice_assessment)

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert 'role="img"' in body and re.search(
        r"<title id=\"gauge-0-title\">Account takeover: exposure \d+ out of 100, \w+</title>", body
    )
    assert "Baseline not met" in body and "Turn on 2-step verification on personal email" in body
    assert "Do these first" in body
    assert re.search(r"Account takeover \d+ → \d+", body)
    # Open routes (engine 2): the ways in still open, and a step that closes them.
    assert re.search(r"\d+ ways? in still open; after the plan, no way in left open\.", body)
    assert re.search(
        r"<strong>Closes (the last way in|all \d+ ways in|\d+ of \d+ ways in)\.</strong>", body
    )
    assert "First the steps that close the ways in" in body
    assert "Open your email account&#x27;s security settings." in body
    assert "How the attack would unfold" in body
    assert (
        "Open because of: Turn on 2-step verification on personal email (you answered “No”)" in body
    )
    assert "What would have stopped it" in body
    # Submit queued the report (rendered once the submit commits): the page says so and
    # keeps asking until the download links appear.
    assert "Your report" in body and 'data-report-status="queued"' in body
    assert 'hx-trigger="every' in body

    # Locked: the questionnaire now leads to the results, and answers are refused.
    assert client.get(_url("section", alice_assessment, "accounts"))["Location"] == _url(
        "results", alice_assessment
    )
    locked = _htmx_answer(client, alice_assessment, "T-ACC-01", "yes")
    assert locked.status_code == 409
    # Submitting again (a double press) leads to the same results and changes nothing.
    assert client.post(_url("submit", alice_assessment))["Location"] == _url(
        "results", alice_assessment
    )
    assert _answers(alice_assessment)["T-ACC-01"] == "no"


def test_results_stored_by_engine_one_still_render(client_for, alice, alice_assessment):
    from tests.scoring.test_rescore import as_engine_one

    client = client_for(alice)
    _htmx_answer(client, alice_assessment, "T-ACC-01", "no")
    client.post(_url("submit", alice_assessment))
    as_engine_one(alice_assessment.scores.get())

    page = client.get(_url("results", alice_assessment))
    body = page.content.decode()
    assert page.status_code == 200
    assert "Do these first" in body and re.search(r"Account takeover \d+ → \d+", body)
    assert "Ranked by how much each step cuts your exposure" in body
    assert "ways in" not in body and "way in" not in body


def test_results_of_an_unsubmitted_assessment_lead_to_review(client_for, alice, alice_assessment):
    response = client_for(alice).get(_url("results", alice_assessment))
    assert response["Location"] == _url("review", alice_assessment)


# --- isolation and CSRF -------------------------------------------------------------------
@pytest.mark.parametrize("intruder", ["carol", "charlie", "dave", "bob"])
def test_nobody_else_can_see_or_change_her_assessment(
    request, client_for, alice, alice_assessment, intruder
):
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key="no"
    )
    client = client_for(request.getfixturevalue(intruder))
    for name, args in [("resume", ()), ("section", ("accounts",)), ("review", ())]:
        assert client.get(_url(name, alice_assessment, *args)).status_code == 404
    assert (
        client.post(
            _url("section", alice_assessment, "accounts"), {"answer-T-ACC-01": "yes"}
        ).status_code
        == 404
    )
    assert _htmx_answer(client, alice_assessment, "T-ACC-01", "yes").status_code == 404
    assert client.post(_url("submit", alice_assessment)).status_code == 404
    services.assessment_submit(actor=alice, assessment=alice_assessment)
    assert client.get(_url("results", alice_assessment)).status_code == 404
    assert client.post(_url("reassess", alice_assessment)).status_code == 404
    assert _answers(alice_assessment) == {"T-ACC-01": "no"}
    assert Assessment.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, alice_assessment):
    response = client.get(_url("section", alice_assessment, "accounts"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_saving_an_answer_needs_the_csrf_token(alice, alice_assessment):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert _htmx_answer(client, alice_assessment, "T-ACC-01", "yes").status_code == 403
    assert client.post(_url("submit", alice_assessment)).status_code == 403
    assert _answers(alice_assessment) == {}


def test_no_get_changes_anything(client_for, alice, pack):
    client = client_for(alice)
    assert client.get(reverse("assessments:start", args=[pack.public_id])).status_code == 405
    assert not Assessment.objects.exists()


def test_results_of_a_shipped_pack_lead_with_five_steps_and_fold_the_rest(client_for, alice):
    from django.conf import settings

    from apps.catalogue.services import pack_load_file

    shipped = pack_load_file(settings.CATALOGUE_PACKS_DIR / "high-risk-individuals.yaml").pack
    client = client_for(alice)
    client.post(reverse("assessments:start", args=[shipped.public_id]))
    assessment = Assessment.objects.get(user=alice)
    first = shipped.content["sections"][0]["controls"][0]
    services.answer_save(
        actor=alice, assessment=assessment, control_key=first["id"], answer_key="unsure"
    )
    client.post(_url("submit", assessment))

    body = client.get(_url("results", assessment)).content.decode()
    shown = body.split('id="plan-rest"')[0].split("Do these first")[1]
    assert shown.count('<li class="govuk-!-margin-bottom-6">') == 5
    assert re.search(r"The rest of your plan \(\d+ more steps?\)", body)
    assert "You have not answered “" in body
    assert "Find out" in body and first["question"] in body.split("Find out")[1]


def test_extra_fields_in_an_answer_post_change_nothing_else(
    client_for, alice, charlie, alice_assessment
):
    data = {
        "control": "T-ACC-01",
        "answer-T-ACC-01": "yes",
        "status": "submitted",
        "submitted_at": "2020-01-01T00:00:00Z",
        "user": str(charlie.pk),
        "organisation": str(charlie.membership.organisation.pk),
        "assessment": str(alice_assessment.pk),
        "score": "0",
        "audience": "staff",
    }
    response = client_for(alice).post(
        _url("answer", alice_assessment), data, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    alice_assessment.refresh_from_db()
    assert alice_assessment.status == Assessment.Status.IN_PROGRESS
    assert alice_assessment.submitted_at is None
    assert alice_assessment.user == alice and alice_assessment.audience == "parliamentarian"
    assert alice_assessment.organisation == alice.membership.organisation
    assert _answers(alice_assessment) == {"T-ACC-01": "yes"}


def test_the_2026_2_pack_says_why_in_plain_steps_on_questions_and_results(client_for, alice):
    from django.conf import settings

    from apps.catalogue.services import pack_load_file

    shipped = pack_load_file(
        settings.CATALOGUE_PACKS_DIR / "high-risk-individuals-2026.2.yaml"
    ).pack
    client = client_for(alice)
    client.post(reverse("assessments:start", args=[shipped.public_id]))
    assessment = Assessment.objects.get(user=alice)

    email = client.get(_url("section", assessment, "email")).content.decode()
    assert "it helps stop the tracking picture reporting where you are" in email
    assert "it helps block “" not in email  # no quoted node titles

    services.answer_save(
        actor=alice, assessment=assessment, control_key="I-EML-01", answer_key="no"
    )
    client.post(_url("submit", assessment))
    results = client.get(_url("results", assessment)).content.decode()
    assert (
        "<strong>Why this matters:</strong> in “APT31-style reconnaissance and compromise of a "
        "UK parliamentarian”, it helps" in results
    )
