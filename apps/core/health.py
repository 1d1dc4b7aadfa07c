"""Readiness probes: is the database reachable, is the broker reachable."""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def database_ready() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "not ready"
        return False, type(exc).__name__
    return True, "ok"


def broker_ready() -> tuple[bool, str]:
    if not settings.CELERY_BROKER_URL:
        return True, "embedded (tasks run in-process)"
    from kombu import Connection

    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # kombu raises transport-specific errors
        return False, type(exc).__name__
    return True, "ok"
