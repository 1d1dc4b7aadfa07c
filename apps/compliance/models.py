"""Organisation compliance: campaigns that get people assessed by a date, the reminders
they send, and the snapshots the dashboard draws its trend from.

Aggregates are computed from Score rows (apps.scoring), never stored per person here:
a snapshot keeps only counts.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Campaign(models.Model):
    """An org admin's request that a group of people complete one pack by a due date."""

    class Recurrence(models.TextChoices):
        NONE = "none", "Once"
        YEARLY = "yearly", "Every year"
        ELECTION = "election", "Again before an election"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    # The pack's slug: people start the newest version of it, whichever that is then.
    pack_slug = models.SlugField(max_length=80)
    pack_title = models.CharField(max_length=200)
    audience = models.CharField(max_length=32, blank=True)  # blank: chosen by name
    due_date = models.DateField()
    recurrence = models.CharField(
        max_length=16, choices=Recurrence.choices, default=Recurrence.NONE
    )
    election_date = models.DateField(null=True, blank=True)
    # Reminder cadence, set by the admin: days before the due date (e.g. "14,3") and how
    # often after it while the assessment is still not submitted (0: never).
    remind_days_before = models.CharField(max_length=64, default="7,1")
    overdue_every_days = models.PositiveSmallIntegerField(default=7)
    previous = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_round"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["organisation", "-created_at"])]

    def __str__(self) -> str:
        return self.name

    @property
    def reminder_days(self) -> list[int]:
        days = []
        for part in self.remind_days_before.split(","):
            part = part.strip()
            if part.isdigit():
                days.append(int(part))
        return sorted(set(days), reverse=True)


class Assignment(models.Model):
    """One person asked to complete a campaign's pack. `assessment` is the one they
    started from it (or, failing that, the one of that pack they had under way)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assignments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments"
    )
    assessment = models.ForeignKey(
        "assessments.Assessment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["campaign", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user"], name="compliance_assignment_one_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.campaign}"


class ReminderSent(models.Model):
    """One reminder step sent for one assignment. The unique constraint is what makes a
    step go out at most once, however often the round runs (or runs twice at once)."""

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="reminders")
    step = models.CharField(max_length=32)  # "due-in-7", "overdue-1", ...
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["assignment", "step"], name="compliance_reminder_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.step}"


class Snapshot(models.Model):
    """Counts of an organisation's standing at one moment, for the trend: per audience
    ("" for everyone), submitted people, baseline not met, and per scenario the number of
    people in each band. Never who: counts only."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "accounts.Organisation", on_delete=models.CASCADE, related_name="compliance_snapshots"
    )
    taken_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["organisation", "taken_at"]
        indexes = [models.Index(fields=["organisation", "taken_at"])]

    def __str__(self) -> str:
        return f"{self.organisation} @ {self.taken_at:%Y-%m-%d %H:%M}"
