"""Celery tasks for organisation compliance. Thin: call one service."""

from __future__ import annotations

from celery import shared_task

from apps.compliance.services import scheduled_round


@shared_task(name="compliance.round", ignore_result=True, acks_late=True)
def compliance_round() -> dict:
    """The scheduled round (beat, hourly): reminders due, next rounds, late joiners,
    nightly snapshots. Idempotent, so a redelivered message does no harm."""
    return scheduled_round().__dict__
