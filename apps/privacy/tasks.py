"""Celery beat runs retention nightly (CELERY_BEAT_SCHEDULE in config/settings.py)."""

from __future__ import annotations

from celery import shared_task

from apps.privacy.services import retention_apply


@shared_task(name="privacy.apply_retention", ignore_result=True)
def apply_retention() -> dict:
    return retention_apply().counts
