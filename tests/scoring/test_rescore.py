"""Scores by engine 1 stay readable; `manage.py rescore` scores again under engine 2."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.assessments.models import Assessment
from apps.scoring import engine
from apps.scoring.models import Score
from apps.scoring.selectors import score_latest_for_assessment
from apps.scoring.services import score_record

pytestmark = pytest.mark.django_db


def as_engine_one(score: Score) -> Score:
    """Turn a recorded score into what engine 1.0.0 stored: no open routes anywhere."""
    result = dict(score.result)
    result["engine_version"] = "1.0.0"
    result["scenarios"] = [
        {k: v for k, v in s.items() if k not in ("open_routes", "open_routes_after_plan")}
        for s in result["scenarios"]
    ]
    result["plan"] = [{k: v for k, v in step.items() if k != "routes"} for step in result["plan"]]
    Score.objects.filter(pk=score.pk).update(engine_version="1.0.0", result=result)
    score.refresh_from_db()
    return score


def submitted(assessment_with, pack, answers):
    assessment = assessment_with(pack, answers)
    Assessment.objects.filter(pk=assessment.pk).update(status=Assessment.Status.SUBMITTED)
    assessment.refresh_from_db()
    return assessment


def rescore(*args) -> str:
    out = io.StringIO()
    call_command("rescore", *args, stdout=out)
    return out.getvalue()


def test_rescore_scores_engine_one_assessments_again_and_keeps_the_old_score(
    small_pack, assessment_with
):
    assessment = submitted(assessment_with, small_pack, {"A": "no"})
    old = as_engine_one(score_record(assessment=assessment))
    unsubmitted = assessment_with(small_pack, {"A": "yes"})

    assert "1 submitted assessment(s), 1 new score(s) written" in rescore()

    latest = score_latest_for_assessment(assessment=assessment)
    assert latest.pk != old.pk
    assert latest.engine_version == engine.ENGINE_VERSION == "2.0.0"
    assert latest.result["scenarios"][0]["open_routes"] == 2
    assert Score.objects.filter(pk=old.pk, engine_version="1.0.0").exists()
    assert not Score.objects.filter(assessment=unsubmitted).exists()
    # idempotent
    assert "0 new score(s) written" in rescore()
    assert "0 new score(s) written" in rescore("--pack", small_pack.slug)


def test_rescore_refuses_an_unknown_pack(small_pack):
    with pytest.raises(CommandError) as error:
        rescore("--pack", "no-such-pack")
    assert error.value.returncode == 2
