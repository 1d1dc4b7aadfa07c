"""Progress only goes up (issue 15, point 3).

Before: home said "38 questions at most, in 8 sections", page one said "section 1 of 7"
and "0 of 23", and answering yes to office MFA moved progress from 22 of 24 (92 %) to 23
of 38 (61 %). Progress now counts against the most questions there can be, a question is
done once answered or once an answer shows it does not apply, and sections are numbered
from the start.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from apps.assessments.models import Assessment
from apps.assessments.selectors import questionnaire_state
from apps.catalogue.services import pack_load_file


@pytest.fixture
def shipped_mp(db):
    pack = pack_load_file(settings.CATALOGUE_PACKS_DIR / "high-risk-individuals.yaml").pack
    return Assessment(pack=pack, audience="parliamentarian")  # not saved: reads only


def _options(assessment, control_id):
    return [o.key for o in questionnaire_state(assessment=assessment, answer_map={})
            .questionnaire.questions[control_id].options]  # fmt: skip


def test_the_office_question_that_opens_more_never_moves_progress_back(shipped_mp):
    state = questionnaire_state(assessment=shipped_mp, answer_map={})
    total = state.progress.total
    assert total == sum(s.eligible for s in state.all_sections)
    assert state.section_count == len(state.all_sections) == 8

    # Everything answered but the office section: the office questions wait on O-ID-01.
    answers: dict[str, str] = {}
    for _ in range(3):
        for control_id in sorted(state.visible - set(answers)):
            if not control_id.startswith("O-"):
                answers[control_id] = _options(shipped_mp, control_id)[0]
        state = questionnaire_state(assessment=shipped_mp, answer_map=answers)
    before = state.progress
    assert before.total == total and before.done < total

    after = questionnaire_state(assessment=shipped_mp, answer_map={**answers, "O-ID-01": "yes"})
    assert after.progress.total == total
    assert after.progress.done == before.done + 1  # seven questions appeared, none lost
    assert after.section_number("office-accounts-email") == 7  # of 8, as before the answer

    # "No office": the rest of the office section is settled as not applying, at once.
    none = questionnaire_state(
        assessment=shipped_mp, answer_map={**answers, "O-ID-01": "no_office"}
    )
    office = [s for s in none.all_sections if s.id == "office-accounts-email"][0]
    assert office.progress.done == office.progress.total


@hypothesis_settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_answering_never_lowers_progress_and_the_end_is_100_percent(shipped_mp, data):
    answers: dict[str, str] = {}
    state = questionnaire_state(assessment=shipped_mp, answer_map=answers)
    total, count = state.progress.total, state.section_count
    done = state.progress.done
    while True:
        open_ids = sorted(state.visible - set(answers))
        if not open_ids:
            break
        control_id = data.draw(st.sampled_from(open_ids))
        answers[control_id] = data.draw(st.sampled_from(_options(shipped_mp, control_id)))
        state = questionnaire_state(assessment=shipped_mp, answer_map=answers)
        progress = state.progress
        assert progress.total == total and state.section_count == count
        assert progress.done >= done + 1, (control_id, answers[control_id])
        done = progress.done
    assert state.progress.complete and state.progress.percent == 100
