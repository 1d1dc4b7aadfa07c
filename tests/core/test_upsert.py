"""apps.core.upsert: one INSERT ... ON CONFLICT statement for many rows."""

from __future__ import annotations

import pytest

from apps.core.upsert import upsert_rows
from apps.scoring.models import Score, ScoreControlCut
from apps.scoring.services import score_record_many

FIELDS = ["score", "control_key", "effort", "weight", "cut"]


@pytest.mark.django_db
def test_with_nothing_to_update_a_colliding_row_is_left_as_stored(alice, submit):
    assessment = submit(alice)
    cut = ScoreControlCut.objects.filter(score__assessment=assessment).first()
    upsert_rows(
        model=ScoreControlCut,
        fields=FIELDS,
        rows=[
            (cut.score_id, cut.control_key, "low", 99.0, 0.99),  # collides: skipped
            (cut.score_id, "NEW-01", "low", 1.0, 0.25),  # new: inserted
        ],
        conflict=["score", "control_key"],
        update=[],
    )
    stored = ScoreControlCut.objects.get(pk=cut.pk)
    assert (stored.effort, stored.weight, stored.cut) == (cut.effort, cut.weight, cut.cut)
    assert ScoreControlCut.objects.get(score_id=cut.score_id, control_key="NEW-01").cut == 0.25


@pytest.mark.django_db
def test_rescoring_in_bulk_stores_the_same_cuts_as_scoring_one(alice, submit):
    assessment = submit(alice)
    first = Score.objects.get(assessment=assessment)
    # Make the recorded score look stale, so that the bulk path records a new one.
    Score.objects.filter(pk=first.pk).update(answers_sha256="0" * 64)
    assessment = type(assessment).objects.select_related("pack").get(pk=assessment.pk)
    assert score_record_many(assessments=[assessment]) == 1
    second = Score.objects.filter(assessment=assessment).exclude(pk=first.pk).get()

    def cuts(score):
        return sorted(
            ScoreControlCut.objects.filter(score=score).values_list(
                "control_key", "effort", "weight", "cut"
            )
        )

    assert cuts(second) == cuts(first)
    assert cuts(first)
    same = ["result", "exposures", "bands", "baseline_met", "plan_length", "exposure_mean"]
    same += ["control_cuts_recorded", "engine_version", "pack_id"]
    assert {f: getattr(second, f) for f in same} == {f: getattr(first, f) for f in same}
    assert second.public_id != first.public_id
