"""Settings for the report benchmark's worker processes: the project's settings, with the
renderer's progress log quiet, emails kept in memory (so the figures measure rendering),
and the tasks a worker sends on the benchmark's own queue."""

import os

from config.settings import *  # noqa: F403
from config.settings import LOGGING

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_TASK_QUEUE", "celery")

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    **LOGGING,
    "loggers": {**LOGGING.get("loggers", {}), "weasyprint": {"level": "WARNING"}},
}
