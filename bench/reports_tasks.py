"""The benchmark's baseline task: as little work as a task can do and still be counted.

Loaded into the benchmark's workers with `celery worker -I bench.reports_tasks`; it never
exists in a production worker.
"""

from __future__ import annotations

import os

import redis
from celery import shared_task

_counter = None


def _redis():
    global _counter
    if _counter is None:
        _counter = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    return _counter


@shared_task(name="bench.trivial", acks_late=True, ignore_result=True)
def trivial(counter_key: str) -> None:
    _redis().incr(counter_key)
