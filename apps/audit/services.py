"""Writing audit events. Every security-relevant service calls `audit_record`."""

from __future__ import annotations

import contextvars
from typing import Any

from apps.audit.models import AuditEvent
from apps.core.request_context import current_request_meta

# The refusals recorded during the current request (set by RefusedAccessAuditMiddleware), so a
# refusal a service already recorded (a report download) is not recorded twice.
_denials: contextvars.ContextVar[list | None] = contextvars.ContextVar(
    "portcullis_audit_denials", default=None
)


def audit_record(
    *,
    actor,
    action: str,
    organisation=None,
    subject=None,
    obj: Any = None,
    outcome: str = AuditEvent.Outcome.ALLOWED,
    detail: dict | None = None,
    ip_address: str | None = None,
    request_id: str | None = None,
    actor_label: str = "",
) -> AuditEvent:
    """Record one event. Address and request id default to those of the current request;
    `actor_label` names a non-person actor (e.g. "system" for a management command)."""
    meta = current_request_meta()
    # An API key acts without being a person (apps/api/principal.py): the event names the
    # key in `actor_label` and `detail["api_key"]`, and links no user.
    key_label = getattr(actor, "audit_label", "")
    actor_obj = actor if getattr(actor, "is_authenticated", False) and not key_label else None
    if key_label:
        detail = {**(detail or {}), "api_key": str(actor.key.public_id)}
    event = AuditEvent.objects.create(
        actor=actor_obj,
        actor_label=getattr(actor_obj, "email", "") or key_label or actor_label or "anonymous",
        subject=subject,
        organisation=organisation,
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "public_id", "") or getattr(obj, "pk", "") or "")
        if obj is not None
        else "",
        outcome=outcome,
        ip_address=ip_address or meta.ip_address,
        request_id=request_id or meta.request_id,
        detail=detail or {},
    )
    denials = _denials.get()
    if denials is not None and outcome == AuditEvent.Outcome.DENIED:
        denials.append(event)
    return event


def audit_purge_before(*, before) -> int:
    """Delete events older than `before` (retention); the only sanctioned way to delete.

    Returns how many rows went. Records the purge itself as an event.
    """
    from django.db import router, transaction

    queryset = AuditEvent.objects.filter(occurred_at__lt=before)
    using = router.db_for_write(AuditEvent)
    with transaction.atomic(using=using):
        deleted = queryset._raw_delete(using)
        AuditEvent.objects.create(
            actor_label="system",
            action="audit.purged",
            detail={"before": before.isoformat(), "deleted": deleted},
        )
    return deleted
