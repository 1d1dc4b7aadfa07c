"""A person's data rights and the retention rules.

- `personal_data_export`: the download of everything held about the requester (audited).
- `account_close`: the person, having typed their password again, closes their account.
  Their answers, notes, scores, reports (rows and files), memberships, second factors and
  sessions go; audit events stay, detached, with the actor's label; the organisation keeps
  only anonymous counts (in the audit event recording the closure).
- `retention_apply`: deletes what the retention settings say has been kept long enough.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Invitation, Membership, User
from apps.accounts.services import sessions_end_for_user
from apps.assessments.models import Answer, Assessment
from apps.audit.services import audit_purge_before, audit_record
from apps.privacy.selectors import personal_data_for_user
from apps.reports.models import RemediationReport
from apps.reports.services import report_files_delete
from apps.scoring.services import score_counted_refresh

logger = logging.getLogger(__name__)


def personal_data_export(*, actor) -> dict:
    """Everything held about `actor`, for `actor` (never for anyone else). Audited."""
    data = personal_data_for_user(user=actor)
    membership = Membership.objects.filter(user=actor).select_related("organisation").first()
    audit_record(
        actor=actor,
        action="personal_data.exported",
        organisation=membership.organisation if membership else None,
        subject=actor,
    )
    return data


def _report_files(assessments) -> list[str]:
    names = []
    for html_name, pdf_name in RemediationReport.objects.filter(
        assessment__in=assessments
    ).values_list("html_name", "pdf_name"):
        names += [name for name in (html_name, pdf_name) if name]
    return names


def _delete_assessments(assessments) -> dict:
    """Delete `assessments` with their answers, scores, reports and report files (after
    commit, so a rolled-back deletion keeps its files). Returns anonymous counts."""
    assessments = list(assessments)
    counts = {
        "assessments": len(assessments),
        "answers": Answer.objects.filter(assessment__in=assessments).count(),
        "reports": RemediationReport.objects.filter(assessment__in=assessments).count(),
    }
    files = _report_files(assessments)
    # Reports hold their Score with RESTRICT: they go first, then the assessments (which
    # take answers and scores with them).
    RemediationReport.objects.filter(assessment__in=assessments).delete()
    Assessment.objects.filter(pk__in=[a.pk for a in assessments]).delete()
    # an older submitted assessment of the same people may count for them now
    score_counted_refresh(user_ids={a.user_id for a in assessments})
    transaction.on_commit(lambda: report_files_delete(files))
    counts["report_files"] = len(files)
    return counts


def _close(*, user, actor, reason: str) -> dict:
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    organisation = membership.organisation if membership else None
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        counts = _delete_assessments(Assessment.objects.filter(user=locked))
        sessions = sessions_end_for_user(user=locked)
        # SECURITY: recorded before the person goes, while the event can still name them;
        # the deletion then detaches it (actor and subject set to NULL), the label stays.
        audit_record(
            actor=actor,
            actor_label="system" if actor is None else "",
            action="account.closed",
            organisation=organisation,
            subject=locked,
            detail={"reason": reason, "sessions_ended": sessions, **counts},
        )
        _forget_sign_in_records(locked.email)
        locked.delete()
    return counts


def _forget_sign_in_records(email: str) -> None:
    """django-axes keeps sign-in attempts and logs by address typed (no link to the
    account): they go with it. Audit events, which the architecture keeps, stay."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=email).delete()


def account_close(*, actor, password: str) -> dict:
    """The signed-in person closes their own account, after typing their password again
    (always, however recently they signed in). Refused, with nothing changed, for a wrong
    password, and for the last admin of an organisation that still has other people.

    Returns the anonymous counts of what was deleted.
    """
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied("Sign in to close your account.")
    if not password or not actor.check_password(password):
        raise ValidationError({"password": "The password is not right. Try again."})
    membership = Membership.objects.filter(user=actor).first()
    if membership is not None and membership.is_org_admin:
        others = Membership.objects.filter(organisation_id=membership.organisation_id).exclude(
            pk=membership.pk
        )
        admins = others.filter(role=Membership.Role.ORG_ADMIN)
        if others.exists() and not admins.exists():
            raise ValidationError(
                {
                    "password": "You are your organisation's only admin: make someone else an "
                    "admin first, then close your account."
                }
            )
    return _close(user=actor, actor=actor, reason="closed_by_person")


# --- Retention ----------------------------------------------------------------------------


@dataclass
class RetentionResult:
    """What retention deleted (or, in a dry run, would delete)."""

    dry_run: bool
    cutoffs: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def _cutoff(setting: str, now) -> dt.datetime | None:
    days = getattr(settings, setting, 0) or 0
    return now - dt.timedelta(days=days) if days > 0 else None


def retention_apply(*, dry_run: bool = False, now=None) -> RetentionResult:
    """Apply the retention settings (each in days; 0 keeps for ever):

    - DATA_RETENTION_DAYS: an assessment not changed for this long goes, with its answers,
      notes, scores, reports and report files;
    - DEACTIVATED_ACCOUNT_RETENTION_DAYS: an account deactivated and not signed in to for
      this long is closed as its owner could close it;
    - INVITATION_RETENTION_DAYS: invitations (a name and an address) that expired, were
      used or were withdrawn this long ago go;
    - AUDIT_RETENTION_DAYS: audit events older than this go (the purge is itself recorded).

    Safe to run twice. `dry_run` counts and changes nothing.
    """
    now = now or timezone.now()
    result = RetentionResult(dry_run=dry_run)

    data_cutoff = _cutoff("DATA_RETENTION_DAYS", now)
    if data_cutoff:
        result.cutoffs["assessments"] = data_cutoff.isoformat()
        stale = Assessment.objects.filter(updated_at__lt=data_cutoff).filter(
            Q(submitted_at__isnull=True) | Q(submitted_at__lt=data_cutoff)
        )
        if dry_run:
            result.counts["assessments"] = stale.count()
        else:
            with transaction.atomic():
                counts = _delete_assessments(stale.select_for_update())
            result.counts["assessments"] = counts["assessments"]
            result.counts["report_files"] = counts["report_files"]

    account_cutoff = _cutoff("DEACTIVATED_ACCOUNT_RETENTION_DAYS", now)
    if account_cutoff:
        result.cutoffs["deactivated_accounts"] = account_cutoff.isoformat()
        dormant = User.objects.filter(is_active=False).filter(
            Q(last_login__lt=account_cutoff)
            | Q(last_login__isnull=True, date_joined__lt=account_cutoff)
        )
        if dry_run:
            result.counts["deactivated_accounts"] = dormant.count()
        else:
            closed = 0
            for user in dormant:
                _close(user=user, actor=None, reason="retention")
                closed += 1
            result.counts["deactivated_accounts"] = closed

    invitation_cutoff = _cutoff("INVITATION_RETENTION_DAYS", now)
    if invitation_cutoff:
        result.cutoffs["invitations"] = invitation_cutoff.isoformat()
        finished = Invitation.objects.filter(
            Q(expires_at__lt=invitation_cutoff)
            | Q(accepted_at__lt=invitation_cutoff)
            | Q(revoked_at__lt=invitation_cutoff)
        )
        result.counts["invitations"] = (
            finished.count() if dry_run else finished.delete()[1].get("accounts.Invitation", 0)
        )

    audit_cutoff = _cutoff("AUDIT_RETENTION_DAYS", now)
    if audit_cutoff:
        result.cutoffs["audit_events"] = audit_cutoff.isoformat()
        if dry_run:
            from apps.audit.models import AuditEvent

            result.counts["audit_events"] = AuditEvent.objects.filter(
                occurred_at__lt=audit_cutoff
            ).count()
        else:
            result.counts["audit_events"] = audit_purge_before(before=audit_cutoff)

    if not dry_run:
        audit_record(
            actor=None,
            actor_label="system",
            action="retention.applied",
            detail={"counts": result.counts, "cutoffs": result.cutoffs},
        )
    return result
