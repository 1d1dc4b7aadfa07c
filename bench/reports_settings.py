"""Settings for the report benchmark's worker processes: the project's settings, with the
renderer's progress log quiet and emails kept in memory, so the figures measure rendering."""

from config.settings import *  # noqa: F403
from config.settings import LOGGING

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    **LOGGING,
    "loggers": {**LOGGING.get("loggers", {}), "weasyprint": {"level": "WARNING"}},
}
