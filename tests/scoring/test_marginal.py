"""Per-control marginal cuts: computed through the engine, stored with each Score."""

from __future__ import annotations

import pytest

from apps.scoring import engine
from apps.scoring.marginal import marginal_cuts
from apps.scoring.models import Score, ScoreControlCut
from tests.catalogue.packs import minimal_pack_data

ALL_NO = {"T-ACC-01": "no", "T-ACC-02": "no", "T-ACC-03": "no", "T-DEV-01": "no", "T-GOV-01": "no"}


def _cuts(answers, audience="staff"):
    pack = engine.compile_pack(minimal_pack_data())
    return {c.control: round(c.cut, 6) for c in marginal_cuts(pack, answers, audience)}


def test_each_cut_is_the_exposure_fall_with_that_control_alone_in_place():
    # Everything "no": exposure 1 × 1 × 0.5 = 0.5 (see tests/compliance for the sums).
    assert _cuts(ALL_NO) == {
        "T-ACC-01": 0.45,
        "T-ACC-02": 0.105,
        "T-ACC-03": 0.0,
        "T-DEV-01": 0.35,
        "T-GOV-01": 0.0,
    }


def test_controls_in_place_not_applicable_or_hidden_get_no_row():
    cuts = _cuts({**ALL_NO, "T-ACC-01": "yes", "T-ACC-02": "sometimes"})
    assert "T-ACC-01" not in cuts  # fully in place
    assert "T-ACC-02" in cuts  # half in place: still lacking
    assert "T-DEV-02" not in _cuts({**ALL_NO, "T-DEV-01": "yes"})  # staff never see it
    assert "T-DEV-01" not in _cuts({**ALL_NO, "T-DEV-01": "na"})


def test_unsure_and_unanswered_count_as_lacking():
    cuts = _cuts({"T-ACC-01": "unsure"})
    assert cuts["T-ACC-01"] == 0.45
    assert "T-DEV-01" in cuts


@pytest.mark.django_db
def test_score_record_stores_the_cuts_with_the_score(alice, submit):
    assessment = submit(alice)
    score = Score.objects.get(assessment=assessment)
    assert score.control_cuts_recorded
    stored = dict(ScoreControlCut.objects.filter(score=score).values_list("control_key", "cut"))
    from apps.scoring.selectors import answers_for, compiled_pack_for

    expected = marginal_cuts(
        compiled_pack_for(assessment.pack), answers_for(assessment=assessment), assessment.audience
    )
    assert stored == {c.control: c.cut for c in expected}


@pytest.mark.django_db
def test_the_backfill_fills_in_older_scores_once(alice, submit):
    from apps.scoring.services import score_control_cuts_backfill

    assessment = submit(alice)
    score = Score.objects.get(assessment=assessment)
    ScoreControlCut.objects.filter(score=score).delete()
    Score.objects.filter(pk=score.pk).update(control_cuts_recorded=False)

    assert score_control_cuts_backfill() == 1
    assert score_control_cuts_backfill() == 0
    assert ScoreControlCut.objects.filter(score=score).exists()
