"""The guidance catalogue, loaded from versioned YAML packs (apps/catalogue/packs/).

Packs are edited as files and reviewed like code; these rows are a read-only copy.
`Pack.content` keeps the whole validated pack in the YAML's own field names, which is
what the scoring engine reads (`apps.scoring.engine.compile_pack`). Section, Control and
Scenario rows exist for querying and display.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Pack(models.Model):
    """One version of one pack. Older versions stay for the assessments that pinned them."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80)  # the pack's `id` in YAML
    version = models.CharField(max_length=32)
    title = models.CharField(max_length=200)
    audiences = models.JSONField(default=list)
    sources = models.JSONField(default=list)
    content = models.JSONField()  # the validated pack, field names as in the YAML
    content_sha256 = models.CharField(max_length=64)
    source_path = models.CharField(max_length=500, blank=True)
    # The pack's `baseline_floor`: while a critical control is not fully in place, no
    # scenario reads below this band (empty: no floor), and why.
    baseline_floor_band = models.CharField(max_length=16, blank=True)
    baseline_floor_reason = models.TextField(blank=True)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slug", "-loaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="catalogue_pack_slug_version")
        ]

    def __str__(self) -> str:
        return f"{self.slug}@{self.version}"

    @property
    def label(self) -> str:
        return f"{self.slug}@{self.version}"


class Section(models.Model):
    """A group of controls in one pack version (e.g. "Your accounts"), in pack order."""

    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="sections")
    key = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["pack", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "key"], name="catalogue_section_pack_key")
        ]

    def __str__(self) -> str:
        return self.title


class Control(models.Model):
    """One question and the remediation behind it (e.g. `I-ACC-01`)."""

    class Effort(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="controls")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="controls")
    key = models.CharField(max_length=32)
    order = models.PositiveIntegerField()  # global order within the pack
    title = models.CharField(max_length=200)
    question = models.TextField()
    help = models.TextField()
    answers = models.JSONField()  # [{key, label, level}] with level a float or "na"
    applies_if = models.JSONField(null=True, blank=True)
    audiences = models.JSONField(default=list)
    effort = models.CharField(max_length=8, choices=Effort.choices)
    critical = models.BooleanField(default=False)
    remediation = models.JSONField(default=list)
    references = models.JSONField(default=list)
    mitigates = models.JSONField(default=list)
    baseline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["pack", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "key"], name="catalogue_control_pack_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class Scenario(models.Model):
    """A documented attack, modelled as an attack tree (`tree`, as in the YAML)."""

    pack = models.ForeignKey(Pack, on_delete=models.CASCADE, related_name="scenarios")
    key = models.CharField(max_length=64)
    order = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField()
    audiences = models.JSONField(default=list)
    bands = models.JSONField()
    bands_reason = models.TextField(blank=True)
    tree = models.JSONField()

    class Meta:
        ordering = ["pack", "order"]
        constraints = [
            models.UniqueConstraint(fields=["pack", "key"], name="catalogue_scenario_pack_key")
        ]

    def __str__(self) -> str:
        return self.title
