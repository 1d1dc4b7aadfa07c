"""Recording Score snapshots, previews and the reads built on them."""

from __future__ import annotations

import pytest

from apps.assessments.models import Answer
from apps.scoring import engine
from apps.scoring.models import Score
from apps.scoring.selectors import (
    compiled_pack_for,
    score_latest_for_assessment,
    score_list_for_assessments,
    score_preview,
)
from apps.scoring.services import score_record, score_record_many
from tests.scoring.conftest import small_pack_content

pytestmark = pytest.mark.django_db


def test_score_record_keeps_the_engine_result_and_dashboard_columns(small_pack, assessment_with):
    answers = {"A": "partly", "S": "yes"}
    assessment = assessment_with(small_pack, answers)

    score = score_record(assessment=assessment)

    expected = engine.evaluate(engine.compile_pack(small_pack.content), answers, "parliamentarian")
    stored = Score.objects.get()
    assert stored.pk == score.pk
    assert stored.result == engine.result_to_dict(expected)
    assert stored.pack == small_pack
    assert stored.engine_version == engine.ENGINE_VERSION
    assert stored.baseline_met is False  # A is critical and only partly in place
    assert stored.exposures == {"s": round(expected.scenarios[0].exposure, 6)}
    assert stored.bands == {"s": expected.scenarios[0].band}
    assert stored.plan_length == len(expected.plan) > 0
    assert len(stored.answers_sha256) == 64


def test_scoring_the_same_answers_again_writes_nothing(small_pack, assessment_with):
    assessment = assessment_with(small_pack, {"A": "yes"})
    first = score_record(assessment=assessment)

    again = score_record(assessment=assessment)

    assert again.pk == first.pk
    assert Score.objects.count() == 1


def test_changed_answers_record_a_new_score_that_becomes_the_latest(small_pack, assessment_with):
    assessment = assessment_with(small_pack, {"S": "no"})
    first = score_record(assessment=assessment)
    Answer.objects.filter(assessment=assessment, control_key="S").update(answer_key="yes")

    second = score_record(assessment=assessment)

    assert second.pk != first.pk
    assert second.answers_sha256 != first.answers_sha256
    assert score_latest_for_assessment(assessment=assessment) == second
    assert second.result["scenarios"][0]["exposure"] < first.result["scenarios"][0]["exposure"]


def test_a_stored_answer_the_pack_does_not_know_is_refused_and_nothing_written(
    small_pack, assessment_with
):
    assessment = assessment_with(small_pack, {"A": "sometimes"})

    with pytest.raises(engine.AnswerError, match="'sometimes' for A"):
        score_record(assessment=assessment)
    assert not Score.objects.exists()


def test_latest_is_none_before_any_score(small_pack, assessment_with):
    assert score_latest_for_assessment(assessment=assessment_with(small_pack, {})) is None


def test_preview_scores_other_answers_without_writing(small_pack, assessment_with):
    assessment = assessment_with(small_pack, {"A": "no"})

    stored = score_preview(assessment=assessment)
    what_if = score_preview(assessment=assessment, answers={"A": "yes", "B": "yes"})

    assert not Score.objects.exists()
    assert stored.unanswered == ("B", "S")
    assert what_if.scenarios[0].exposure < stored.scenarios[0].exposure
    quick = score_preview(assessment=assessment, answers={"A": "yes"}, with_plan=False)
    assert quick.plan == ()


def test_score_record_many_writes_what_is_missing_in_bulk(small_pack, assessment_with):
    done = assessment_with(small_pack, {"A": "yes"})
    recorded = score_record(assessment=done)
    fresh = [assessment_with(small_pack, {"B": "partly"}), assessment_with(small_pack, {})]

    written = score_record_many(assessments=[done, *fresh])

    assert written == 2
    assert Score.objects.count() == 3
    assert score_latest_for_assessment(assessment=done) == recorded
    single = score_record(assessment=fresh[0])  # finds the bulk row, writes nothing
    assert Score.objects.count() == 3
    expected = engine.evaluate(
        engine.compile_pack(small_pack.content), {"B": "partly"}, "parliamentarian"
    )
    assert single.result == engine.result_to_dict(expected)
    assert score_record_many(assessments=[done, *fresh]) == 0


def test_score_list_for_assessments_gives_each_ones_latest_in_one_query(
    small_pack, assessment_with, django_assert_num_queries
):
    first = assessment_with(small_pack, {"A": "no"})
    second = assessment_with(small_pack, {"A": "yes"})
    unscored = assessment_with(small_pack, {})
    old = score_record(assessment=first)
    Answer.objects.filter(assessment=first).update(answer_key="partly")
    new = score_record(assessment=first)
    other = score_record(assessment=second)

    with django_assert_num_queries(1):
        latest = score_list_for_assessments(assessments=[first, second, unscored])

    assert latest == {first.pk: new, second.pk: other}
    assert old.pk != new.pk


def test_compiled_packs_are_cached_per_content(small_pack, make_pack, django_assert_num_queries):
    from apps.catalogue.models import Pack

    deferred = Pack.objects.defer("content").get(pk=small_pack.pk)
    first = compiled_pack_for(small_pack)
    with django_assert_num_queries(0):  # a hit never reads the (deferred) content
        assert compiled_pack_for(deferred) is first
    newer = make_pack(small_pack_content(version="2"))
    assert compiled_pack_for(newer) is not first
    assert compiled_pack_for(newer).version == "2"
