"""A person's self-assessment against one pinned pack version, and their answers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.accounts.models import Audience
from apps.core.fields import EncryptedTextField


class Assessment(models.Model):
    """One run through one pack version by one person. Submitting locks it."""

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessments"
    )
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="assessments"
    )
    # PROTECT: a pack version that an assessment pinned can never disappear under it.
    pack = models.ForeignKey("catalogue.Pack", on_delete=models.PROTECT, related_name="assessments")
    audience = models.CharField(max_length=32, choices=Audience.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    last_section_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.user} – {self.pack} ({self.status})"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Answer(models.Model):
    """The latest answer to one control in one assessment (last write wins)."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    control_key = models.CharField(max_length=32)
    answer_key = models.CharField(max_length=32)
    # SECURITY: a note says, in the person's words, what they have not done yet: sealed at
    # rest with the key ring (manage.py reencrypt_secrets after a key rotation).
    note = EncryptedTextField(blank=True, max_length=2000)
    updated_at = models.DateTimeField(default=timezone.now)
    # Carried over from the person's last submitted assessment when they reassess, and not
    # yet confirmed or changed: shown "from last time" until they do (any save clears it).
    from_last_time = models.BooleanField(default=False)

    class Meta:
        ordering = ["assessment", "control_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "control_key"], name="assessments_answer_one_per_control"
            )
        ]

    def __str__(self) -> str:
        return f"{self.control_key}={self.answer_key}"


class AnswerVerification(models.Model):
    """An answer the person's IT team confirmed from its own systems, through an API key.

    One row per assessment and question: the latest confirmation. The answer counts as
    verified while the stored answer equals `answer_key` and the person has not disputed
    it. The person cannot change a verified answer without disputing it first; the dispute
    is kept here (and in the audit trail) for the organisation's admins to see.
    """

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="verifications"
    )
    control_key = models.CharField(max_length=32)
    answer_key = models.CharField(max_length=32)
    source = models.CharField(max_length=16, default="api")
    source_name = models.CharField(max_length=80)  # the API key's name, as its admin gave it
    api_key_public_id = models.UUIDField(null=True, blank=True)
    # SECURITY: free text about the person's systems and in their words: sealed at rest.
    evidence_reference = EncryptedTextField(max_length=500, blank=True)
    evidence_observed_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(default=timezone.now)
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = EncryptedTextField(blank=True, max_length=1000)

    class Meta:
        ordering = ["assessment", "control_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "control_key"], name="assessments_one_verification"
            )
        ]

    def __str__(self) -> str:
        return f"{self.control_key}={self.answer_key} (verified by {self.source_name})"

    @property
    def is_disputed(self) -> bool:
        return self.disputed_at is not None
