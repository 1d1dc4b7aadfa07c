"""Organisation API keys: how an IT team's own systems reach /api/v1/.

A key is shown once, when it is issued. The database keeps only a visible prefix (to tell
keys apart in lists and in the audit trail) and a keyed hash of the whole key (HMAC-SHA256
with a server-side secret, `API_KEY_HMAC_KEY`), so a copy of the database opens nothing.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    """What a key may do. A key carries one or more; every route names the one it needs."""

    READ_COMPLIANCE = "read:compliance", "Read the organisation's compliance (aggregates)"
    READ_ASSESSMENTS = "read:assessments", "Read members' assessments, answers and scores"
    WRITE_ASSESSMENTS = "write:assessments", "Start assessments and write verified answers"
    READ_REPORTS = "read:reports", "Read and download members' reports"
    ADMIN_MEMBERS = "admin:members", "List members, send and revoke invitations"


class ApiKey(models.Model):
    """One organisation API key: its name, scopes, expiry and use (never the key itself)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=80)
    # The first characters of the key, shown in lists and audit events ("pcl_3f9a1c2b").
    prefix = models.CharField(max_length=16, unique=True)
    # SECURITY: HMAC-SHA256 of the whole key under API_KEY_HMAC_KEY, hex. Never the key.
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
