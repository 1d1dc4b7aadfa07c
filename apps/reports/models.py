"""Remediation reports: one rendered HTML + PDF pair per Score snapshot.

A report row is the job and its result. It is created `queued` by `report_request`, claimed
by one Celery task at a time (`running`), and ends `ready` (files in the private storage)
or `failed` (error kept, "try again" re-queues the same row). One row exists per render key
(assessment + engine version + pack version + answers + report format), so the same inputs
never render twice; a new key gets a new row and the previous ready report stays.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class RemediationReport(models.Model):
    """One person's remediation report for one Score snapshot, and the job that renders it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.CASCADE, related_name="reports"
    )
    # RESTRICT: a report always says which snapshot it shows, so a Score cannot be deleted
    # under it; both go together when their assessment (or person, or organisation) does.
    score = models.ForeignKey("scoring.Score", on_delete=models.RESTRICT, related_name="reports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)  # renders started, over the row's life
    # Claims since the row was last queued by someone: a render that kills its worker every
    # time (a poison message, redelivered again and again) is failed after a few.
    deliveries = models.PositiveSmallIntegerField(default=0)
    # The Celery task id that holds the job while it is running. A redelivery of the same
    # message (worker killed mid-render) carries the same id and may take the job back.
    task_id = models.CharField(max_length=64, blank=True)

    render_key = models.CharField(max_length=64)
    engine_version = models.CharField(max_length=32)
    pack_version = models.CharField(max_length=120)  # "slug@version"
    answers_sha256 = models.CharField(max_length=64)
    format_version = models.PositiveSmallIntegerField()

    # Names inside storages["private"]; never a URL, never under MEDIA_ROOT or STATIC_ROOT.
    html_name = models.CharField(max_length=255, blank=True)
    pdf_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)  # of the PDF
    size = models.PositiveIntegerField(null=True, blank=True)  # PDF bytes

    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)  # last (re)queued
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Set when the "report ready" email is claimed for sending: it goes out once, and a
    # redelivered task whose worker died between "ready" and the email still sends it.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "render_key"], name="reports_one_report_per_render_key"
            )
        ]
        indexes = [models.Index(fields=["assessment", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"Report {self.public_id} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY

    @property
    def is_failed(self) -> bool:
        return self.status == self.Status.FAILED

    @property
    def is_queued(self) -> bool:
        return self.status == self.Status.QUEUED

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def pending_since(self):
        """When the current wait began: the render's start, or the (last) queueing."""
        if self.status == self.Status.RUNNING and self.started_at:
            return self.started_at
        return self.queued_at
