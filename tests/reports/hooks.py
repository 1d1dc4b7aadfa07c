"""A render hook for worker subprocesses (see worker_settings.py): record which process
renders which attempt, then take as long as the environment says."""

from __future__ import annotations

import os
import time
from pathlib import Path


def render_hook_from_environment(report) -> None:
    started = os.environ.get("PORTCULLIS_TEST_RENDER_STARTED")
    if started:
        with Path(started).open("a") as marker:
            marker.write(f"{os.getpid()} {report.attempts}\n")
    slow_until = int(os.environ.get("PORTCULLIS_TEST_SLOW_UNTIL_ATTEMPT", "1000000"))
    if report.attempts <= slow_until:
        time.sleep(float(os.environ.get("PORTCULLIS_TEST_RENDER_SLEEP", "0")))
