"""Helpers shared by the report tests: Celery reconfiguration, polling, PDF text."""

from __future__ import annotations

import io
import os
import time
import uuid
from contextlib import contextmanager

from kombu import pools
from pypdf import PdfReader

from apps.reports.models import RemediationReport
from config.celery import app as celery_app

ENV_BROKER = os.environ.get("CELERY_BROKER_URL", "")
USES_REDIS = ENV_BROKER.startswith(("redis://", "rediss://"))


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def _reset_connections(app) -> None:
    # Celery caches its broker connection pool and routing tables on first use; forget
    # them so a changed broker URL or queue takes effect (and the old pool is closed).
    # kombu keeps pools in a process-wide registry: close and forget them all.
    pools.reset()
    app._pool = None
    amqp = app.__dict__.get("amqp")
    if amqp is not None:
        amqp._producer_pool = None
        amqp._rtable = None
        for cached in ("queues", "default_queue", "default_exchange", "router"):
            amqp.__dict__.pop(cached, None)


@contextmanager
def celery_configured(**conf):
    """The project's Celery app with `conf` changed for the duration of a block."""
    if "broker_url" in conf:
        # CELERY_BROKER_URL in the environment beats conf.broker_url; the read and write
        # URLs beat both.
        conf.setdefault("broker_read_url", conf["broker_url"])
        conf.setdefault("broker_write_url", conf["broker_url"])
    saved = {key: celery_app.conf.get(key) for key in conf}
    _reset_connections(celery_app)
    celery_app.conf.update(conf)
    try:
        yield celery_app
    finally:
        _reset_connections(celery_app)
        celery_app.conf.update(saved)


def unique_queue_name() -> str:
    return f"portcullis-test-reports-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def wait_for_report(public_id, *, statuses=("ready", "failed"), timeout=60.0):
    """Poll the database until the report reaches one of `statuses`; fail on timeout."""
    deadline = time.monotonic() + timeout
    report = None
    while time.monotonic() < deadline:
        report = RemediationReport.objects.filter(public_id=public_id).first()
        if report is not None and report.status in statuses:
            return report
        time.sleep(0.05)
    status = report.status if report else "missing"
    raise AssertionError(f"report {public_id} still {status} after {timeout:.0f}s")


def forget_queue(app, queue: str, *, delete_queue: bool = True) -> None:
    """Delete a test queue and the binding keys kombu keeps beside it in Redis."""
    with app.connection_for_write() as conn:
        channel = conn.default_channel
        if delete_queue:
            channel.queue_delete(queue)
        client = getattr(channel, "client", None)
        if client is not None:  # Redis: a fresh channel knows no bindings, so delete by name
            client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
