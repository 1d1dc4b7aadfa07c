"""`Score.counted`, the denormalised "this is the score that counts for this person",
cannot drift from its definition (`scoring.services.counted_scores_of`) whatever moves it:
a newer submitted assessment, scoring before submitting, a rescore, deletions."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.utils import timezone

from apps.assessments.models import Assessment
from apps.assessments.services import answer_save, assessment_reassess, assessment_submit
from apps.compliance import selectors
from apps.privacy.services import account_close, retention_apply
from apps.scoring.models import Score
from apps.scoring.services import counted_scores_of, score_record
from tests.compliance.builders import ALL_NO, TWO_STEP_ONLY, people

pytestmark = pytest.mark.django_db


def counted_of(user) -> list[Score]:
    return list(Score.objects.filter(counted=True, assessment__user=user))


def assert_marker_matches_definition():
    marked = set(Score.objects.filter(counted=True).values_list("pk", flat=True))
    defined = set(
        counted_scores_of(Assessment.objects.values("user_id")).values_list("pk", flat=True)
    )
    assert marked == defined


def submitted_of(user) -> Assessment:
    return Assessment.objects.get(user=user, status=Assessment.Status.SUBMITTED)


def test_a_newer_submitted_assessment_takes_the_mark_from_the_older(org_a, pack):
    (person,) = people(org_a, 1, pack, ALL_NO)
    first = submitted_of(person)
    (old_score,) = counted_of(person)
    assert old_score.assessment_id == first.pk

    fresh = assessment_reassess(actor=person, assessment=first)
    # in progress: the submitted one still counts
    assert counted_of(person) == [old_score]
    answer_save(actor=person, assessment=fresh, control_key="T-ACC-01", answer_key="yes")
    new_score = assessment_submit(actor=person, assessment=fresh)

    assert counted_of(person) == [new_score]
    assert new_score.assessment_id == fresh.pk
    assert_marker_matches_definition()


def test_resubmitting_the_same_answers_counts_the_new_assessment(org_a, pack):
    (person,) = people(org_a, 1, pack, ALL_NO)
    fresh = assessment_reassess(actor=person, assessment=submitted_of(person))
    for key, value in ALL_NO.items():  # confirm each answer "from last time" unchanged
        answer_save(actor=person, assessment=fresh, control_key=key, answer_key=value)

    score = assessment_submit(actor=person, assessment=fresh)

    assert counted_of(person) == [score]
    assert_marker_matches_definition()


def test_a_score_recorded_before_submitting_counts_once_submitted(org_a, pack):
    people(org_a, 5, pack, ALL_NO)
    (person,) = people(org_a, 1, pack, TWO_STEP_ONLY, submitted=False)
    assessment = Assessment.objects.get(user=person)

    early = score_record(assessment=assessment)  # e.g. a preview: nothing submitted yet
    assert counted_of(person) == []

    assert assessment_submit(actor=person, assessment=assessment) == early
    assert counted_of(person) == [early]
    assert_marker_matches_definition()


def test_rescore_moves_the_mark_to_the_new_score(org_a, pack):
    users = people(org_a, 5, pack, ALL_NO)
    old = {s.pk for s in Score.objects.filter(counted=True)}
    Score.objects.update(engine_version="1.0.0")  # as if scored by an older engine

    call_command("rescore", stdout=io.StringIO())

    now_counted = Score.objects.filter(counted=True)
    assert len(now_counted) == 5
    assert not old & {s.pk for s in now_counted}
    assert {s.engine_version for s in now_counted} == {"2.0.0"}
    assert {s.assessment.user for s in now_counted} == set(users)
    assert_marker_matches_definition()


def test_retention_deleting_the_newer_assessment_gives_the_mark_back_to_the_older(
    settings, org_a, pack
):
    (person,) = people(org_a, 1, pack, ALL_NO)
    first = submitted_of(person)
    fresh = assessment_reassess(actor=person, assessment=first)
    answer_save(actor=person, assessment=fresh, control_key="T-ACC-01", answer_key="yes")
    assessment_submit(actor=person, assessment=fresh)
    # the newer one untouched for long enough to go; the older one edited recently (as
    # far as retention can tell), so it stays
    long_ago = timezone.now() - timedelta(days=400)
    Assessment.objects.filter(pk=first.pk).update(submitted_at=long_ago - timedelta(days=1))
    Assessment.objects.filter(pk=fresh.pk).update(submitted_at=long_ago, updated_at=long_ago)
    settings.DATA_RETENTION_DAYS = 365

    retention_apply()

    assert not Assessment.objects.filter(pk=fresh.pk).exists()
    assert [s.assessment_id for s in counted_of(person)] == [first.pk]
    assert_marker_matches_definition()


def test_closing_an_account_leaves_everyone_else_counted(bob, org_a, pack):
    users = people(org_a, 6, pack, ALL_NO)
    leaving = users[0]
    leaving.set_password("correct horse battery staple")
    leaving.save(update_fields=["password"])

    account_close(actor=leaving, password="correct horse battery staple")

    assert Score.objects.filter(counted=True).count() == 5
    assert selectors.dashboard_for_user(user=bob)["results"]["people"] == 5
    assert_marker_matches_definition()


def test_the_migration_backfills_the_mark_and_the_mean_exposure(org_a, pack):
    people(org_a, 3, pack, ALL_NO)
    people(org_a, 2, pack, TWO_STEP_ONLY)
    expected = {s.pk: (s.counted, s.exposure_mean) for s in Score.objects.all()}
    Score.objects.update(counted=False, exposure_mean=0.0)

    migration = __import__("apps.scoring.migrations.0003_counted_marker", fromlist=["backfill"])
    migration.backfill(django_apps, None)

    assert {s.pk: (s.counted, s.exposure_mean) for s in Score.objects.all()} == expected
    assert set(expected.values()) == {(True, 0.5), (True, 0.05)}
