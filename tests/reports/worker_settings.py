"""Settings for the `celery -A config worker` subprocesses that the worker-loss test starts.

The project's settings, plus: a render hook that can be made slow (so the test can kill a
worker mid-render), emails written to files the test can count, and a short Redis
visibility timeout swept every second, so the killed worker's unacknowledged message comes
back within seconds instead of minutes. (The broker URL points at a Redis database of the
test's own, so the short timeout never touches anyone else's messages.)
"""

import os

from config.settings import *  # noqa: F403

REPORTS_RENDER_HOOK = "tests.reports.hooks.render_hook_from_environment"

CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A test that must prove the redelivery came from somewhere else sets it long.
    "visibility_timeout": int(os.environ.get("PORTCULLIS_TEST_VISIBILITY_TIMEOUT", "3")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Tasks the workers send themselves (the "report ready" email) go to the test's own queue.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("PORTCULLIS_TEST_QUEUE", "celery")
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False  # no pidbox keys left behind in Redis

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("PORTCULLIS_TEST_EMAIL_DIR", "/tmp/portcullis-test-email")
