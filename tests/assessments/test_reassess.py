"""Reassess from last time (issue 15, point 5): a year later, the busy MP starts from their
last submitted answers, each "from last time" until confirmed or changed."""

from __future__ import annotations

from django.urls import reverse

from apps.assessments import services
from apps.assessments.models import Answer, Assessment

LAST_TIME = {
    "T-ACC-01": "no",
    "T-ACC-02": "yes",
    "T-ACC-03": "yes",
    "T-DEV-01": "yes",
    "T-DEV-02": "no",
    "T-GOV-01": "yes",
}


def _url(name, assessment, *args):
    return reverse(f"assessments:{name}", args=[assessment.public_id, *args])


def _reassessed(client, alice, alice_assessment):
    for control, key in LAST_TIME.items():
        services.answer_save(
            actor=alice, assessment=alice_assessment, control_key=control, answer_key=key
        )
    services.answer_save(
        actor=alice,
        assessment=alice_assessment,
        control_key="T-GOV-01",
        answer_key="yes",
        note="The whips' office",
    )
    services.assessment_submit(actor=alice, assessment=alice_assessment)
    client.post(_url("reassess", alice_assessment))
    return Assessment.objects.exclude(pk=alice_assessment.pk).get(user=alice)


def _carried(assessment):
    return set(
        Answer.objects.filter(assessment=assessment, from_last_time=True).values_list(
            "control_key", flat=True
        )
    )


def test_reassessing_starts_from_the_last_answers_marked_from_last_time(
    client_for, alice, alice_assessment
):
    client = client_for(alice)
    newer = _reassessed(client, alice, alice_assessment)

    answers = dict(Answer.objects.filter(assessment=newer).values_list("control_key", "answer_key"))
    assert answers == LAST_TIME
    assert Answer.objects.get(assessment=newer, control_key="T-GOV-01").note == "The whips' office"
    assert _carried(newer) == set(LAST_TIME)
    # The old assessment is untouched.
    assert not _carried(alice_assessment)

    page = client.get(_url("section", newer, "accounts")).content.decode()
    assert page.count("From last time</strong>") == 3
    assert "Confirm all in this section" in page
    review = client.get(_url("review", newer)).content.decode()
    assert "From last time, not confirmed yet" in review
    assert review.split('id="unconfirmed"')[1].split("</ul>")[0].count("<li>") == 6
    # Progress counts carried answers as done (it never drops), so it also says what is
    # left to check, and the answer list marks each carried answer.
    assert "6 answers from last time</strong> still to confirm or change" in page
    assert "6 answers from last time</strong> still to confirm or change" in review
    assert review.count("From last time</strong>") == 6


def test_answering_a_carried_question_counts_down_what_is_left_to_confirm(
    client_for, alice, alice_assessment
):
    client = client_for(alice)
    newer = _reassessed(client, alice, alice_assessment)
    fragment = client.post(
        _url("answer", newer),
        {"control": "T-ACC-01", "answer-T-ACC-01": "no"},  # the same answer, now confirmed
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "5 answers from last time</strong> still to confirm or change" in fragment
    assert _carried(newer) == set(LAST_TIME) - {"T-ACC-01"}


def test_changing_one_answer_or_confirming_a_section_clears_the_mark(
    client_for, alice, alice_assessment
):
    client = client_for(alice)
    newer = _reassessed(client, alice, alice_assessment)

    services.answer_save(actor=alice, assessment=newer, control_key="T-ACC-01", answer_key="yes")
    assert "T-ACC-01" not in _carried(newer)

    # "Confirm all in this section" (no JavaScript needed): the section's answers as shown.
    data = {
        "action": "confirm",
        "answer-T-DEV-01": "yes",
        "answer-T-DEV-02": "no",
        "answer-T-GOV-01": "yes",
        "note-T-GOV-01": "The whips' office",
    }
    response = client.post(_url("section", newer, "devices"), data)
    assert response.status_code == 302
    assert _carried(newer) == {"T-ACC-02", "T-ACC-03"}
    review = client.get(_url("review", newer)).content.decode()
    unconfirmed = review.split('id="unconfirmed"')[1].split("</ul>")[0]
    assert unconfirmed.count("<li>") == 2 and "Use a password manager" in unconfirmed


def test_save_and_continue_confirms_only_what_changed(client_for, alice, alice_assessment):
    client = client_for(alice)
    newer = _reassessed(client, alice, alice_assessment)

    # The section sent back as shown, with one answer changed: only that one is confirmed.
    data = {
        "action": "continue",
        "answer-T-DEV-01": "yes",
        "answer-T-DEV-02": "partly",
        "answer-T-GOV-01": "yes",
        "note-T-GOV-01": "The whips' office",
    }
    response = client.post(_url("section", newer, "devices"), data)
    assert response.status_code == 302
    assert _carried(newer) == {"T-ACC-01", "T-ACC-02", "T-ACC-03", "T-DEV-01", "T-GOV-01"}


def test_resuming_a_reassessment_opens_the_first_section_still_to_confirm(
    client_for, alice, alice_assessment
):
    client = client_for(alice)
    newer = _reassessed(client, alice, alice_assessment)
    response = client.get(_url("resume", newer))
    assert response.url == _url("section", newer, "accounts")

    client.post(
        _url("section", newer, "accounts"),
        {
            "action": "confirm",
            "answer-T-ACC-01": "no",
            "answer-T-ACC-02": "yes",
            "answer-T-ACC-03": "yes",
        },
    )
    assert client.get(_url("resume", newer)).url == _url("section", newer, "devices")
