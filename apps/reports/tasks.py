"""Celery tasks for reports. Thin: take an id, call one service."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings

from apps.reports.services import (
    TRANSIENT_ERRORS,
    report_notify,
    report_render,
    report_requeue_stalled,
)

logger = logging.getLogger(__name__)

RENDER_MAX_RETRIES = 5
NOTIFY_MAX_RETRIES = 8  # about an hour and a half of backoff for a mail server to come back
NOTIFY_ERRORS = (SMTPException, OSError)  # refused, timed out, unreachable


@shared_task(
    bind=True,
    name="reports.render",
    # A worker killed mid-render (OOM, deploy, SIGKILL) leaves the message unacknowledged,
    # so the broker delivers it again and the report still completes.
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=2,  # 2, 4, 8... seconds, with full jitter, at most a minute
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=RENDER_MAX_RETRIES,
    soft_time_limit=settings.CELERY_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.CELERY_TASK_TIME_LIMIT,
    ignore_result=True,
)
def report_render_task(self, report_public_id: str) -> None:
    """Render the report `report_public_id` (its public UUID); safe to run twice."""
    report_render(
        report_public_id=report_public_id,
        task_id=self.request.id,
        # In-process (no broker, `make run`): a retry would re-render at once inside the web
        # request, with no backoff; fail instead, visibly, and let the person try again.
        final_attempt=bool(self.request.is_eager) or self.request.retries >= self.max_retries,
    )


@shared_task(
    bind=True,
    name="reports.notify",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=NOTIFY_MAX_RETRIES,
    ignore_result=True,
)
def report_notify_task(self, report_public_id: str) -> None:
    """Email the person that the report `report_public_id` is ready; safe to run twice."""
    try:
        report_notify(report_public_id=report_public_id)
    except NOTIFY_ERRORS as exc:
        if self.request.is_eager:
            # In-process (no broker): no waiting inside the web request. The report is
            # ready on the results page all the same.
            logger.warning("Report %s: ready email not sent (%s)", report_public_id, exc)
            return
        countdown = get_exponential_backoff_interval(
            factor=30, retries=self.request.retries, maximum=1800, full_jitter=True
        )
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="reports.sweep", ignore_result=True)
def report_sweep_task() -> None:
    """Send again report jobs nobody is working on (scheduled by celery beat)."""
    report_requeue_stalled()
