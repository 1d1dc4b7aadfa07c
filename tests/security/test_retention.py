"""Retention is real (ARCHITECTURE §7 "retention is configurable"): DATA_RETENTION_DAYS and
friends, applied by `manage.py apply_retention [--dry-run]` and by the nightly beat task."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.utils import timezone

from apps.accounts.models import Invitation, User
from apps.assessments.models import Answer, Assessment
from apps.audit.models import AuditEvent
from apps.privacy.tasks import apply_retention
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def _age(assessment, days):
    then = timezone.now() - timedelta(days=days)
    Assessment.objects.filter(pk=assessment.pk).update(
        created_at=then, updated_at=then, submitted_at=then
    )


@pytest.fixture
def old_and_new(alice, charlie, submit, settings):
    settings.DATA_RETENTION_DAYS = 365
    old, new = submit(alice), submit(charlie)
    _age(old, 400)
    _age(new, 10)
    return old, new


def test_a_dry_run_counts_and_changes_nothing(old_and_new):
    out = io.StringIO()
    before = (Assessment.objects.count(), Answer.objects.count(), AuditEvent.objects.count())

    call_command("apply_retention", "--dry-run", stdout=out)

    assert "Would delete 1 assessment(s)" in out.getvalue()
    assert (Assessment.objects.count(), Answer.objects.count(), AuditEvent.objects.count()) == (
        before
    )


def test_old_assessments_go_with_their_answers_and_new_ones_stay(old_and_new):
    old, new = old_and_new
    out = io.StringIO()

    call_command("apply_retention", stdout=out)

    assert "Deleted 1 assessment(s)" in out.getvalue()
    assert not Assessment.objects.filter(pk=old.pk).exists()
    assert not Answer.objects.filter(assessment_id=old.pk).exists()
    assert Answer.objects.filter(assessment_id=new.pk).exists()
    run = AuditEvent.objects.get(action="retention.applied")
    assert run.detail["counts"]["assessments"] == 1


def test_running_twice_is_safe(old_and_new):
    call_command("apply_retention", stdout=io.StringIO())
    out = io.StringIO()
    call_command("apply_retention", stdout=out)

    assert "Deleted 0 assessment(s)" in out.getvalue()


def test_zero_keeps_for_ever(old_and_new, settings):
    settings.DATA_RETENTION_DAYS = 0

    call_command("apply_retention", stdout=io.StringIO())

    assert Assessment.objects.count() == 2


def test_old_invitations_dormant_deactivated_accounts_and_old_audit_go(settings, alice, org_a):
    settings.INVITATION_RETENTION_DAYS = 30
    settings.DEACTIVATED_ACCOUNT_RETENTION_DAYS = 100
    settings.AUDIT_RETENTION_DAYS = 200
    long_ago = timezone.now() - timedelta(days=300)
    stale = InvitationFactory(organisation=org_a, expires_at=long_ago)
    fresh = InvitationFactory(organisation=org_a)
    User.objects.filter(pk=alice.pk).update(is_active=False, last_login=long_ago)
    old_event = AuditEvent.objects.create(action="old", occurred_at=long_ago)

    counts = apply_retention()

    assert counts["invitations"] == 1 and counts["deactivated_accounts"] == 1
    assert not Invitation.objects.filter(pk=stale.pk).exists()
    assert Invitation.objects.filter(pk=fresh.pk).exists()
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not AuditEvent.objects.filter(pk=old_event.pk).exists()
    assert AuditEvent.objects.filter(action="account.closed", detail__reason="retention").exists()


def test_the_nightly_beat_schedule_runs_it():
    tasks = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert "privacy.apply_retention" in tasks
