"""Writes for scoring: record Score snapshots of assessments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from apps.assessments.models import Answer, Assessment
from apps.core.upsert import upsert_rows
from apps.scoring import engine
from apps.scoring.marginal import marginal_cuts
from apps.scoring.models import Score, ScoreControlCut
from apps.scoring.selectors import answers_for, answers_sha256, compiled_pack_for

BULK_BATCH_SIZE = 500


def _score_row(*, assessment, digest: str, result: engine.ScoreResult) -> Score:
    data = engine.result_to_dict(result)
    exposures = [s["exposure"] for s in data["scenarios"]]
    return Score(
        assessment=assessment,
        pack_id=assessment.pack_id,
        engine_version=engine.ENGINE_VERSION,
        answers_sha256=digest,
        result=data,
        baseline_met=data["baseline_met"],
        exposures={s["id"]: s["exposure"] for s in data["scenarios"]},
        bands={s["id"]: s["band"] for s in data["scenarios"]},
        plan_length=len(data["plan"]),
        control_cuts_recorded=True,
        exposure_mean=sum(exposures) / len(exposures) if exposures else 0.0,
    )


def _cut_rows(score_id: int, cuts) -> list[ScoreControlCut]:
    return [
        ScoreControlCut(
            score_id=score_id, control_key=c.control, effort=c.effort, weight=c.weight, cut=c.cut
        )
        for c in cuts
    ]


def score_record(*, assessment) -> Score:
    """Score the assessment's answers against its pinned pack and keep the snapshot.

    Idempotent: the same answers (and audience, pack content and engine version) return
    the row already recorded and write nothing. Raises engine.AnswerError if a stored
    answer is not one the pinned pack knows.
    """
    answers = answers_for(assessment=assessment)
    digest = answers_sha256(pack=assessment.pack, audience=assessment.audience, answers=answers)
    lookup = {
        "assessment": assessment,
        "answers_sha256": digest,
        "engine_version": engine.ENGINE_VERSION,
    }
    existing = Score.objects.filter(**lookup).first()
    if existing is not None:
        return existing
    compiled = compiled_pack_for(assessment.pack)
    result = engine.evaluate(compiled, answers, assessment.audience, with_plan=True)
    cuts = marginal_cuts(compiled, answers, assessment.audience, current=result)
    row = _score_row(assessment=assessment, digest=digest, result=result)
    try:
        with transaction.atomic():
            row.save()
            ScoreControlCut.objects.bulk_create(_cut_rows(row.pk, cuts))
            score_counted_refresh(user_ids=[assessment.user_id])
    except IntegrityError:
        # Recorded concurrently (two submits, a retried task): that row is this score.
        return Score.objects.get(**lookup)
    return row


def counted_scores_of(users) -> QuerySet[Score]:
    """The scores that count for these users (a queryset of users, or of their ids): per
    organisation, person and pack slug, the latest score of the latest submitted
    assessment (ties broken by key, so exactly one counts). The definition that
    `Score.counted` caches; the 0003 migration spells the same query."""
    newer_assessment = Assessment.objects.filter(
        organisation_id=OuterRef("organisation_id"),
        user_id=OuterRef("user_id"),
        pack__slug=OuterRef("pack__slug"),
        status=Assessment.Status.SUBMITTED,
    ).filter(
        Q(submitted_at__gt=OuterRef("submitted_at"))
        | Q(submitted_at=OuterRef("submitted_at"), pk__gt=OuterRef("pk"))
    )
    latest_assessments = Assessment.objects.filter(
        user_id__in=users, status=Assessment.Status.SUBMITTED
    ).filter(~Exists(newer_assessment))
    newer_score = Score.objects.filter(assessment_id=OuterRef("assessment_id")).filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    return Score.objects.filter(assessment__in=latest_assessments).filter(~Exists(newer_score))


def score_counted_refresh(*, user_ids) -> None:
    """Set `Score.counted` right for these people, from the definition in
    `counted_scores_of`. Call it inside the transaction of every write that can change
    which score counts: a score recorded, an assessment submitted, assessments deleted.

    Concurrent refreshes for the same person queue on a lock of their user row (each
    statement then reads what the other committed), so the marker cannot end up on two
    scores or on none. Four queries whatever the number of people."""
    user_ids = sorted({pk for pk in user_ids if pk is not None})
    if not user_ids:
        return
    with transaction.atomic():
        list(
            get_user_model()
            .objects.select_for_update()
            .filter(pk__in=user_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        target = list(counted_scores_of(user_ids).values_list("pk", flat=True))
        Score.objects.filter(assessment__user_id__in=user_ids, counted=True).exclude(
            pk__in=target
        ).update(counted=False)
        Score.objects.filter(pk__in=target, counted=False).update(counted=True)


def _answers_and_digests(assessments: list) -> tuple[dict[int, dict[str, str]], dict[int, str]]:
    answers: dict[int, dict[str, str]] = defaultdict(dict)
    for assessment_id, control_key, answer_key in Answer.objects.filter(
        assessment_id__in=[a.pk for a in assessments]
    ).values_list("assessment_id", "control_key", "answer_key"):
        answers[assessment_id][control_key] = answer_key
    digests = {
        a.pk: answers_sha256(pack=a.pack, audience=a.audience, answers=answers[a.pk])
        for a in assessments
    }
    return answers, digests


def _recorded(digests: dict[int, str]):
    """The Score rows already recorded for these (assessment, answers) under this engine."""
    return Score.objects.filter(
        assessment_id__in=list(digests),
        engine_version=engine.ENGINE_VERSION,
        answers_sha256__in=set(digests.values()),
    )


def _insert_scores(rows: list[Score]) -> None:
    """bulk_create(rows, ignore_conflicts=True), as a multi-row VALUES list: on
    PostgreSQL Django's bulk_create sends each column as one array, and psycopg quotes
    a JSON result inside an array literal in Python, character by character (it cost
    more than scoring the assessment)."""
    fields = [f for f in Score._meta.concrete_fields if f is not Score._meta.pk]
    for start in range(0, len(rows), BULK_BATCH_SIZE):
        upsert_rows(
            model=Score,
            fields=[f.name for f in fields],
            rows=[
                tuple(f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields)
                for row in rows[start : start + BULK_BATCH_SIZE]
            ],
            conflict=[],
            update=[],
            arrays=False,
        )


def _record_missing(assessments: list, answers, digests) -> int:
    recorded = set(_recorded(digests).values_list("assessment_id", "answers_sha256"))
    rows = []
    cuts = {}
    for a in assessments:
        if (a.pk, digests[a.pk]) in recorded:
            continue
        compiled = compiled_pack_for(a.pack)
        result = engine.evaluate(compiled, answers[a.pk], a.audience)
        rows.append(_score_row(assessment=a, digest=digests[a.pk], result=result))
        cuts[(a.pk, digests[a.pk])] = marginal_cuts(
            compiled, answers[a.pk], a.audience, current=result
        )
    if not rows:
        return 0
    with transaction.atomic():
        _insert_scores(rows)
        # bulk_create with ignore_conflicts gives no keys back: read them, then store the
        # cuts of the rows this call wrote (a concurrent writer's rows carry their own).
        written = _recorded(digests).filter(assessment_id__in=[a for a, _ in cuts])
        cut_rows = [
            (pk, c.control, c.effort, c.weight, c.cut)
            for pk, assessment_id, digest in written.values_list(
                "pk", "assessment_id", "answers_sha256"
            )
            for c in cuts.get((assessment_id, digest), ())
        ]
        # ~25 rows per score: the ORM's bulk_create spent longer building them than the
        # engine took to compute them. Plain values (ints, strings, floats) need no
        # adapting; a row already stored by a concurrent writer is left as it is.
        upsert_rows(
            model=ScoreControlCut,
            fields=["score", "control_key", "effort", "weight", "cut"],
            rows=cut_rows,
            conflict=["score", "control_key"],
            update=[],
        )
        # One query: callers may load assessments without user_id (only what scoring
        # reads), and reading it row by row cost a query per assessment.
        score_counted_refresh(
            user_ids=set(
                Assessment.objects.filter(pk__in=[row.assessment_id for row in rows])
                .values_list("user_id", flat=True)
                .distinct()
            )
        )
    return len(rows)


def score_record_many(*, assessments: Sequence) -> int:
    """Score many assessments in bulk (a pack or engine update, `make bench`): one query
    for their answers, one for the scores they already have, bulk inserts. Returns how
    many new Score rows were written. Assessments should come with `pack` selected."""
    assessments = list(assessments)
    if not assessments:
        return 0
    answers, digests = _answers_and_digests(assessments)
    return _record_missing(assessments, answers, digests)


def score_current_for_many(*, assessments: Sequence) -> dict[int, Score]:
    """{assessment pk: the Score of its current answers under the current engine}, recorded
    where missing: what `score_record` gives one assessment, for many in a fixed number of
    queries. Assessments should come with `pack` selected."""
    assessments = list(assessments)
    if not assessments:
        return {}
    answers, digests = _answers_and_digests(assessments)
    _record_missing(assessments, answers, digests)
    current = {}
    for score in _recorded(digests).select_related("pack"):
        if digests.get(score.assessment_id) == score.answers_sha256:
            current[score.assessment_id] = score
    return current


def score_rescore_submitted(*, pack_slug: str | None = None, batch_size: int = BULK_BATCH_SIZE):
    """Score every submitted assessment (of one pack, if given) under the current engine,
    where its current answers have no score by this engine yet (after an engine upgrade:
    the results page and the report read the latest score). Older scores stay, as
    recorded. Returns (assessments looked at, scores written)."""
    from apps.assessments.models import Assessment

    assessments = (
        Assessment.objects.filter(status=Assessment.Status.SUBMITTED)
        .select_related("pack")
        .order_by("pk")
    )
    if pack_slug is not None:
        assessments = assessments.filter(pack__slug=pack_slug)
    seen = written = 0
    last = 0
    while True:
        batch = list(assessments.filter(pk__gt=last)[:batch_size])
        if not batch:
            return seen, written
        seen += len(batch)
        written += score_record_many(assessments=batch)
        last = batch[-1].pk


def score_control_cuts_backfill(*, limit: int = 500) -> int:
    """Store the per-control marginal cuts of submitted assessments' scores recorded before
    cuts existed (`control_cuts_recorded` false), up to `limit` per call. Idempotent: a
    score is marked once its cuts are in. Returns how many scores were filled in."""
    from apps.assessments.models import Assessment

    pending = list(
        Score.objects.filter(
            control_cuts_recorded=False, assessment__status=Assessment.Status.SUBMITTED
        )
        .select_related("assessment", "pack")
        .order_by("pk")[:limit]
    )
    done = 0
    for score in pending:
        answers = answers_for(assessment=score.assessment)
        if (
            answers_sha256(pack=score.pack, audience=score.assessment.audience, answers=answers)
            != score.answers_sha256
        ):
            continue  # answers moved on since (cannot happen once submitted); leave it
        cuts = marginal_cuts(compiled_pack_for(score.pack), answers, score.assessment.audience)
        with transaction.atomic():
            ScoreControlCut.objects.bulk_create(_cut_rows(score.pk, cuts), ignore_conflicts=True)
            Score.objects.filter(pk=score.pk).update(control_cuts_recorded=True)
        done += 1
    return done
