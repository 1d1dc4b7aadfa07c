"""Reading the audit trail: org admins see their organisation's events, staff see all."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils import timezone

from apps.audit.models import AuditEvent


@dataclass(frozen=True)
class AuditFilters:
    """What the viewer asked for; every field optional."""

    action: str = ""
    outcome: str = ""
    actor: str = ""  # part of the actor's label (their email)
    about: str = ""  # part of the subject's email (whom the event concerns)
    since: dt.date | None = None
    until: dt.date | None = None  # inclusive


def _scope(*, user, organisation) -> QuerySet[AuditEvent]:
    """Every event `user` may read. Staff: all; an org admin: their organisation's; else 403."""
    if getattr(user, "is_staff", False):
        return AuditEvent.objects.all()
    if organisation is None:
        raise PermissionDenied("Only organisation admins and platform staff can read the audit.")
    return AuditEvent.objects.filter(organisation_id=organisation.pk)


def audit_event_list_for_user(*, user, organisation, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """Events `user` may read (org admin: `organisation`, which must be theirs, checked by
    the caller's selector; staff: everything), newest first, narrowed by `filters`."""
    events = _scope(user=user, organisation=organisation)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.actor:
        events = events.filter(actor_label__icontains=filters.actor)
    if filters.about:
        events = events.filter(subject__email__icontains=filters.about)
    zone = timezone.get_current_timezone()
    if filters.since:
        start = dt.datetime.combine(filters.since, dt.time.min, tzinfo=zone)
        events = events.filter(occurred_at__gte=start)
    if filters.until:
        end = dt.datetime.combine(filters.until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
        events = events.filter(occurred_at__lt=end)
    return events.select_related("organisation", "subject").order_by("-occurred_at", "-pk")


def audit_action_choices_for_user(*, user, organisation) -> list[str]:
    """The actions that occur in what `user` may read, for the filter's list."""
    scoped = _scope(user=user, organisation=organisation)
    return sorted(set(scoped.order_by().values_list("action", flat=True).distinct()))


# SECURITY: a cell a spreadsheet would read as a formula (=, +, -, @, tab, carriage return)
# is prefixed with ' so opening the export runs nothing (OWASP CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


CSV_HEADER = [
    "occurred_at_utc",
    "actor",
    "action",
    "outcome",
    "organisation",
    "subject",
    "object_type",
    "object_id",
    "ip_address",
    "request_id",
    "detail",
]


def audit_csv_rows(events) -> list[list[str]]:
    """The export: one row per event, every text cell neutralised against formulas."""
    import json

    rows = []
    for event in events:
        rows.append(
            [
                csv_safe(value)
                for value in (
                    event.occurred_at.astimezone(dt.UTC).isoformat(),
                    event.actor_label,
                    event.action,
                    event.outcome,
                    event.organisation.name if event.organisation else "",
                    event.subject.email if event.subject else "",
                    event.object_type,
                    event.object_id,
                    event.ip_address or "",
                    event.request_id,
                    json.dumps(event.detail, sort_keys=True) if event.detail else "",
                )
            ]
        )
    return rows
