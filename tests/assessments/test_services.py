"""Starting, answering, branching, resuming and submitting an assessment."""

from __future__ import annotations

import pytest
from django.http import Http404

from apps.assessments import selectors, services
from apps.assessments.models import Answer, Assessment
from apps.audit.models import AuditEvent
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data


def _answers(assessment):
    return dict(
        Answer.objects.filter(assessment=assessment).values_list("control_key", "answer_key")
    )


def _state(assessment):
    answer_map = selectors.answer_keys(selectors.answers_for_assessment(assessment=assessment))
    return selectors.questionnaire_state(assessment=assessment, answer_map=answer_map)


# --- start ----------------------------------------------------------------------------
def test_start_pins_the_pack_and_the_members_audience(alice, pack):
    assessment = services.assessment_start(actor=alice, pack=pack)

    assert assessment.pack == pack
    assert assessment.user == alice
    assert assessment.organisation == alice.membership.organisation
    assert assessment.audience == "parliamentarian"
    assert assessment.status == Assessment.Status.NOT_STARTED
    assert AuditEvent.objects.filter(action="assessment.start", actor=alice).count() == 1


def test_starting_twice_carries_on_the_open_assessment(alice, pack):
    first = services.assessment_start(actor=alice, pack=pack)
    second = services.assessment_start(actor=alice, pack=pack)

    assert first.pk == second.pk
    assert Assessment.objects.filter(user=alice).count() == 1


def test_a_pack_for_another_audience_cannot_be_started(alice, db):
    data = minimal_pack_data(pack_id="officials-only")
    data["audiences"] = ["election_official"]
    for section in data["sections"]:
        for control in section["controls"]:
            control["audiences"] = ["election_official"]
    data["scenarios"][0]["audiences"] = ["election_official"]
    officials = pack_load_data(data).pack

    with pytest.raises(services.NotPermitted):
        services.assessment_start(actor=alice, pack=officials)
    assert not Assessment.objects.exists()


# --- answer ---------------------------------------------------------------------------
def test_an_answer_is_saved_and_the_assessment_remembers_where_she_was(alice, alice_assessment):
    saved = services.answer_save(
        actor=alice,
        assessment=alice_assessment,
        control_key="T-DEV-01",
        answer_key="partly",
        note="  Laptop only  ",
    )

    answer = Answer.objects.get(assessment=alice_assessment, control_key="T-DEV-01")
    assert (answer.answer_key, answer.note) == ("partly", "Laptop only")
    alice_assessment.refresh_from_db()
    assert alice_assessment.status == Assessment.Status.IN_PROGRESS
    assert alice_assessment.last_section_key == "devices"
    assert saved.before == {} and saved.after == {"T-DEV-01": "partly"}


def test_the_last_answer_to_a_question_wins(alice, alice_assessment):
    for key in ("yes", "no", "unsure"):
        services.answer_save(
            actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key=key
        )

    assert _answers(alice_assessment) == {"T-ACC-01": "unsure"}
    assert Answer.objects.filter(assessment=alice_assessment).count() == 1


@pytest.mark.parametrize(
    ("control_key", "answer_key", "note"),
    [
        ("Z-ZZZ-99", "yes", ""),  # unknown question
        ("T-ACC-01", "sometimes", ""),  # that key belongs to another question
        ("T-ACC-01", "", ""),  # no answer
        ("T-DEV-02", "yes", ""),  # hidden until T-DEV-01 is yes or partly
        ("T-ACC-01", "yes", "x" * 2001),  # note too long
    ],
)
def test_bad_answers_are_refused_and_nothing_changes(
    alice, alice_assessment, control_key, answer_key, note
):
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-ACC-02", answer_key="yes"
    )
    alice_assessment.refresh_from_db()
    before = (alice_assessment.last_section_key, alice_assessment.updated_at)

    with pytest.raises(services.InvalidAnswer):
        services.answer_save(
            actor=alice,
            assessment=alice_assessment,
            control_key=control_key,
            answer_key=answer_key,
            note=note,
        )

    assert _answers(alice_assessment) == {"T-ACC-02": "yes"}
    alice_assessment.refresh_from_db()
    assert (alice_assessment.last_section_key, alice_assessment.updated_at) == before


def test_a_question_for_another_audience_is_hidden_from_staff(carol, pack):
    assessment = services.assessment_start(actor=carol, pack=pack)
    services.answer_save(
        actor=carol, assessment=assessment, control_key="T-DEV-01", answer_key="yes"
    )

    with pytest.raises(services.InvalidAnswer):
        services.answer_save(
            actor=carol, assessment=assessment, control_key="T-DEV-02", answer_key="yes"
        )
    assert "T-DEV-02" not in _state(assessment).visible


def test_nobody_else_can_answer_her_assessment(alice_assessment, carol, charlie):
    for intruder in (carol, charlie):
        with pytest.raises(Http404):
            services.answer_save(
                actor=intruder,
                assessment=alice_assessment,
                control_key="T-ACC-01",
                answer_key="yes",
            )
    assert _answers(alice_assessment) == {}


# --- branching, progress and resume -----------------------------------------------------
def test_branching_shows_and_hides_questions_and_progress_counts_the_most_there_can_be(
    alice, alice_assessment
):
    # T-DEV-02 waits on T-DEV-01: hidden, not yet settled, but counted in the total.
    state = _state(alice_assessment)
    assert "T-DEV-02" not in state.visible
    assert (state.progress.done, state.progress.total) == (0, 6)

    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-DEV-01", answer_key="yes"
    )
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-DEV-02", answer_key="yes"
    )
    state = _state(alice_assessment)
    assert "T-DEV-02" in state.visible
    assert (state.progress.done, state.progress.total) == (2, 6)

    # "No" shows T-DEV-02 does not apply: it counts as done, and the total stays.
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-DEV-01", answer_key="no"
    )
    state = _state(alice_assessment)
    assert "T-DEV-02" not in state.visible
    assert (state.progress.done, state.progress.total) == (2, 6)


def test_sections_are_numbered_from_the_start_and_one_ruled_out_is_marked(alice, alice_assessment):
    state = _state(alice_assessment)
    assert [(s.number, s.id) for s in state.all_sections] == [(1, "accounts"), (2, "devices")]
    assert state.section_count == 2 and state.section_number("devices") == 2
    assert not any(s.does_not_apply for s in state.all_sections)


def test_resume_goes_to_the_first_unanswered_question_of_the_last_section(alice, alice_assessment):
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key="yes"
    )
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-DEV-01", answer_key="no"
    )
    alice_assessment.refresh_from_db()

    point = selectors.resume_point(assessment=alice_assessment, state=_state(alice_assessment))

    assert (point.section_id, point.control_id) == ("devices", "T-GOV-01")


def test_resume_falls_back_to_earlier_gaps_then_to_review(alice, alice_assessment):
    for control, key in [("T-DEV-01", "no"), ("T-GOV-01", "yes")]:
        services.answer_save(
            actor=alice, assessment=alice_assessment, control_key=control, answer_key=key
        )
    alice_assessment.refresh_from_db()
    point = selectors.resume_point(assessment=alice_assessment, state=_state(alice_assessment))
    assert (point.section_id, point.control_id) == ("accounts", "T-ACC-01")

    for control in ("T-ACC-01", "T-ACC-02", "T-ACC-03"):
        services.answer_save(
            actor=alice, assessment=alice_assessment, control_key=control, answer_key="no"
        )
    alice_assessment.refresh_from_db()
    point = selectors.resume_point(assessment=alice_assessment, state=_state(alice_assessment))
    assert (point.section_id, point.control_id) == (None, None)


# --- a whole section at once (no JavaScript) --------------------------------------------
def test_a_section_is_saved_only_when_every_answer_in_it_is_valid(alice, alice_assessment):
    with pytest.raises(services.InvalidAnswers) as refused:
        services.section_answers_save(
            actor=alice,
            assessment=alice_assessment,
            section_id="accounts",
            entries={
                "T-ACC-01": ("yes", ""),
                "T-ACC-02": ("bogus", ""),
                "T-ACC-03": ("", "a note without an answer"),
            },
        )
    assert set(refused.value.errors) == {"T-ACC-02", "T-ACC-03"}
    assert _answers(alice_assessment) == {}

    services.section_answers_save(
        actor=alice,
        assessment=alice_assessment,
        section_id="accounts",
        entries={"T-ACC-01": ("yes", ""), "T-ACC-02": ("sometimes", "on my phone")},
    )
    assert _answers(alice_assessment) == {"T-ACC-01": "yes", "T-ACC-02": "sometimes"}


def test_a_section_drops_answers_that_the_same_submission_hides(alice, alice_assessment):
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-DEV-01", answer_key="yes"
    )
    services.section_answers_save(
        actor=alice,
        assessment=alice_assessment,
        section_id="devices",
        entries={"T-DEV-01": ("no", ""), "T-DEV-02": ("yes", "")},
    )
    assert _answers(alice_assessment) == {"T-DEV-01": "no"}


# --- submit and reassess -----------------------------------------------------------------
def test_submit_locks_the_assessment_and_records_a_score(alice, alice_assessment):
    from apps.scoring.selectors import score_latest_for_assessment

    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key="no"
    )
    services.assessment_submit(actor=alice, assessment=alice_assessment)

    alice_assessment.refresh_from_db()
    assert alice_assessment.is_submitted and alice_assessment.submitted_at is not None
    score = score_latest_for_assessment(assessment=alice_assessment)
    assert score is not None
    assert [s["id"] for s in score.result["scenarios"]] == ["account-takeover"]
    assert score.result["critical_gaps"] == ["T-ACC-01"]
    assert AuditEvent.objects.filter(action="assessment.submit", actor=alice).count() == 1

    with pytest.raises(services.AssessmentLocked):
        services.answer_save(
            actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key="yes"
        )
    with pytest.raises(services.AssessmentLocked):
        services.section_answers_save(
            actor=alice,
            assessment=alice_assessment,
            section_id="accounts",
            entries={"T-ACC-01": ("yes", "")},
        )
    with pytest.raises(services.AssessmentLocked):
        services.assessment_submit(actor=alice, assessment=alice_assessment)
    assert _answers(alice_assessment) == {"T-ACC-01": "no"}


def test_an_empty_assessment_cannot_be_submitted(alice, alice_assessment):
    with pytest.raises(services.InvalidAnswer):
        services.assessment_submit(actor=alice, assessment=alice_assessment)
    alice_assessment.refresh_from_db()
    assert not alice_assessment.is_submitted


def test_only_the_owner_can_submit(alice_assessment, carol, alice):
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key="no"
    )
    with pytest.raises(Http404):
        services.assessment_submit(actor=carol, assessment=alice_assessment)
    alice_assessment.refresh_from_db()
    assert not alice_assessment.is_submitted


def test_reassess_starts_on_the_latest_version_from_last_time_and_keeps_history(
    alice, alice_assessment
):
    services.answer_save(
        actor=alice, assessment=alice_assessment, control_key="T-ACC-01", answer_key="no"
    )
    services.assessment_submit(actor=alice, assessment=alice_assessment)
    newer = pack_load_data(minimal_pack_data(version="2026.2")).pack

    again = services.assessment_reassess(actor=alice, assessment=alice_assessment)

    assert again.pk != alice_assessment.pk
    assert again.pack == newer
    # Issue 15: from the last answers, each marked until confirmed (it used to be blank).
    assert _answers(again) == {"T-ACC-01": "no"}
    assert Answer.objects.get(assessment=again, control_key="T-ACC-01").from_last_time
    assert _answers(alice_assessment) == {"T-ACC-01": "no"}
    assert Assessment.objects.filter(user=alice).count() == 2


def test_an_unsubmitted_assessment_cannot_be_reassessed(alice, alice_assessment):
    with pytest.raises(services.InvalidAnswer):
        services.assessment_reassess(actor=alice, assessment=alice_assessment)
    assert Assessment.objects.filter(user=alice).count() == 1


# --- isolation ----------------------------------------------------------------------------
def test_selectors_return_only_her_own_assessments(alice, carol, charlie, alice_assessment):
    assert list(selectors.assessment_list_for_user(user=alice)) == [alice_assessment]
    for other in (carol, charlie):
        assert list(selectors.assessment_list_for_user(user=other)) == []
        with pytest.raises(Http404):
            selectors.assessment_get_for_user(user=other, public_id=alice_assessment.public_id)
    assert (
        selectors.assessment_get_for_user(user=alice, public_id=alice_assessment.public_id)
        == alice_assessment
    )
    with pytest.raises(Http404):
        selectors.assessment_get_for_user(user=alice, public_id="not-a-uuid")
