"""An append-only record of who saw or changed what, when."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

# When a person or an organisation is deleted, Django detaches their events by setting these
# links to NULL; the event itself, with its actor_label, stays.
DETACHABLE_LINKS = frozenset({"actor", "subject", "organisation"})


class AuditEventQuerySet(models.QuerySet):
    # SECURITY: audit rows are append-only. Bulk updates and deletes through the ORM are
    # refused; retention purges go through `audit.services.audit_purge_before`, which is
    # the one sanctioned path and uses a raw delete. The single update allowed is the
    # one Django's deletion collector makes for on_delete=SET_NULL.
    def update(self, **kwargs):
        if kwargs and set(kwargs) <= DETACHABLE_LINKS and all(v is None for v in kwargs.values()):
            return super().update(**kwargs)
        raise PermissionError("Audit events cannot be changed.")

    def delete(self):
        raise PermissionError("Audit events cannot be deleted.")


class AuditEvent(models.Model):
    """One security-relevant action: a login, an MFA change, a view of someone's answers."""

    class Outcome(models.TextChoices):
        ALLOWED = "allowed", "Allowed"
        DENIED = "denied", "Denied"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.ALLOWED)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        # SECURITY: not a business rule but an integrity guard: an existing row is never rewritten.
        if not self._state.adding:
            raise PermissionError("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit events cannot be deleted.")
