"""Score snapshots: what the engine said about one assessment's answers, kept as is.

A Score is never recomputed in place: the engine version and the pinned pack version
are stored with it, so a report or dashboard can always say which model produced it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class Score(models.Model):
    """One evaluation of an assessment (`result` is `engine.result_to_dict`).

    `answers_sha256` digests what the result depends on: the answers, the audience and
    the pack content. Scoring the same answers with the same engine again finds this
    row instead of writing another (unique constraint below).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(
        "assessments.Assessment", on_delete=models.CASCADE, related_name="scores"
    )
    # PROTECT: a score must always be explainable by the pack version that produced it.
    pack = models.ForeignKey("catalogue.Pack", on_delete=models.PROTECT, related_name="scores")
    engine_version = models.CharField(max_length=32)
    answers_sha256 = models.CharField(max_length=64)
    result = models.JSONField()
    # Denormalised from `result` for dashboards and exports (no JSON parsing per row).
    baseline_met = models.BooleanField()
    exposures = models.JSONField(default=dict)  # {scenario id: exposure 0..1}
    bands = models.JSONField(default=dict)  # {scenario id: band}
    plan_length = models.PositiveIntegerField(default=0)
    # True once this score's per-control marginal cuts (ScoreControlCut) are stored; rows
    # written before they existed are filled in by compliance's scheduled round.
    control_cuts_recorded = models.BooleanField(default=False)
    # The mean of `exposures` (0..1): what the organisation plan averages, without
    # fetching and parsing every person's JSON.
    exposure_mean = models.FloatField(default=0.0)
    # True on the one score that counts for its person in the organisation's results: the
    # latest score of their latest submitted assessment of this pack (by slug) in that
    # organisation. Denormalised so the dashboard filters on it instead of picking "the
    # latest per person" at read time; `scoring.services.score_counted_refresh` keeps it,
    # in the same transaction as every write that can move it.
    counted = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "answers_sha256", "engine_version"],
                name="scoring_score_one_per_answers_and_engine",
            )
        ]
        indexes = [
            models.Index(fields=["assessment", "-created_at"], name="scoring_latest"),
            models.Index(
                fields=["assessment"],
                condition=models.Q(counted=True),
                name="scoring_counted",
            ),
        ]

    def __str__(self) -> str:
        return f"Score {self.public_id} ({self.pack_id}, engine {self.engine_version})"


class ScoreControlCut(models.Model):
    """One control a person lacks, stored with their Score: the exposure it would cut if
    they put it fully in place, everything else as answered (`scoring.marginal`).

    A child table rather than a JSON field on Score: the organisation plan sums these
    per control over thousands of people, which the database does in one GROUP BY; a
    JSON column would have to be fetched and parsed row by row in Python.
    """

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="control_cuts")
    control_key = models.CharField(max_length=32)
    effort = models.CharField(max_length=8)
    weight = models.FloatField()  # the pack's effort weight, the unit of "per effort"
    cut = models.FloatField()  # mean exposure cut over the person's scenarios, 0..1

    class Meta:
        ordering = ["score", "control_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["score", "control_key"], name="scoring_control_cut_one_per_control"
            )
        ]

    def __str__(self) -> str:
        return f"{self.control_key}: -{self.cut:.3f}"
