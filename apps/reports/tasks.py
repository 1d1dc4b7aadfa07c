"""Celery tasks for reports. Thin: take an id, call one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from apps.reports.services import TRANSIENT_ERRORS, report_render

RENDER_MAX_RETRIES = 5


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
