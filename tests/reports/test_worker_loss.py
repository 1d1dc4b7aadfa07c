"""A worker that dies mid-render loses no report (acks_late + reject_on_worker_lost).

These tests start real `celery -A config worker` subprocesses against Redis and the test
database, kill one with SIGKILL while it renders (the render is made slow through
`tests.reports.worker_settings`), and check that the report still completes exactly once.
They need Redis (the in-memory broker lives inside one process) and a database another
process can open (PostgreSQL; the SQLite test database is in memory).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection

from apps.reports.models import RemediationReport
from apps.reports.services import report_request
from tests.reports.support import (
    ENV_BROKER,
    USES_REDIS,
    celery_configured,
    forget_queue,
    pdf_text,
    unique_queue_name,
    wait_for_report,
)

pytestmark = [
    pytest.mark.worker,
    pytest.mark.xdist_group("report-worker"),
    pytest.mark.skipif(
        not USES_REDIS,
        reason="needs a Redis broker (CELERY_BROKER_URL=redis://...): redelivering the "
        "message of a killed worker is the broker's job, and memory:// lives in one process",
    ),
]

BASE_DIR = Path(settings.BASE_DIR)
SLOW_RENDER_SECONDS = "120"


def _database_url() -> str | None:
    """The test database as a URL for the worker subprocesses, or None if they can't open it."""
    config = connection.settings_dict
    if connection.vendor != "postgresql":
        return None
    user = quote(config["USER"] or "", safe="")
    password = f":{quote(config['PASSWORD'], safe='')}" if config["PASSWORD"] else ""
    host = config["HOST"] or "127.0.0.1"
    port = f":{config['PORT']}" if config["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{config['NAME']}"


def _own_redis_db(worker_id: str) -> str:
    """A Redis database for this test process alone: its workers sweep back unacknowledged
    messages after 3 s, which must never touch another process's in-flight messages."""
    index = int(worker_id[2:]) if worker_id.startswith("gw") else 0
    parts = urlsplit(ENV_BROKER)
    return urlunsplit(parts._replace(path=f"/{15 - index}"))


@pytest.fixture
def worker_env(transactional_db, worker_id, tmp_path, private_storage):
    database_url = _database_url()
    if database_url is None:
        pytest.skip(
            "needs a database a worker subprocess can open: run with "
            "DATABASE_URL=postgres://... (the SQLite test database is in memory)"
        )
    queue = unique_queue_name()
    broker = _own_redis_db(worker_id)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.reports.worker_settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "PRIVATE_STORAGE_ROOT": str(private_storage),
        "PORTCULLIS_TEST_EMAIL_DIR": str(tmp_path / "mail"),
        "PORTCULLIS_TEST_RENDER_STARTED": str(tmp_path / "render-started"),
        "PYTHONPATH": str(BASE_DIR),
        "PORTCULLIS_TEST_QUEUE": queue,
    }
    with celery_configured(
        broker_url=broker, task_always_eager=False, task_default_queue=queue
    ) as app:
        yield {"env": env, "queue": queue, "tmp": tmp_path}
        forget_queue(app, queue)
        # The workers also bind the default "celery" queue in this test-only database.
        forget_queue(app, "celery", delete_queue=False)


@contextmanager
def celery_worker_process(worker_env, name: str, *, render_seconds: str = "0"):
    """`celery -A config worker` (prefork, one process) as a subprocess in its own session."""
    log = worker_env["tmp"] / f"worker-{name}.log"
    env = {**worker_env["env"], "PORTCULLIS_TEST_RENDER_SLEEP": render_seconds}
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker",
        "--pool=prefork", "--concurrency=1", "-Q", worker_env["queue"],
        "-n", f"{name}-{uuid.uuid4().hex[:6]}@%h", "--loglevel=INFO",
        "--without-mingle", "--without-gossip", "--without-heartbeat",
    ]  # fmt: skip
    with open(log, "wb") as output:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Warm shutdown (SIGTERM to the main process: it lets the running task finish), and
    SIGKILL for the whole group if that takes too long."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def _wait_for_file(path: Path, timeout: float, process: subprocess.Popen, log: Path) -> str:
    """The first line written to `path` (by the render hook) once there is one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().splitlines()[0]
        if process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)
    raise AssertionError(f"{path.name} never appeared:\n{log.read_text()[-3000:]}")


def _emails(worker_env, timeout: float = 30) -> list[str]:
    """The emails the workers wrote (the file backend), once one has been written in full."""
    folder = worker_env["tmp"] / "mail"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        written = [p.read_text() for p in folder.iterdir()] if folder.exists() else []
        if written and all(text.strip() for text in written):
            return written
        time.sleep(0.1)
    return []


def _assert_completed_once(report, emails: list[str]) -> None:
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.READY, report.error
    assert report.attempts == 2  # the killed attempt and the one that finished
    with storages["private"].open(report.pdf_name, "rb") as handle:
        text = pdf_text(handle.read())
    assert report.score.result["plan"][0]["title"] in text
    assert len(emails) == 1 and "alice@example.org" in emails[0]


def test_a_worker_killed_mid_render_is_replaced_and_the_report_completes(worker_env, alice, submit):
    assessment = submit(alice)
    started = worker_env["tmp"] / "render-started"
    with celery_worker_process(worker_env, "doomed", render_seconds=SLOW_RENDER_SECONDS) as doomed:
        report = report_request(actor=alice, assessment=assessment)
        _pid, attempt = _wait_for_file(
            started, 90, doomed, worker_env["tmp"] / "worker-doomed.log"
        ).split()
        assert attempt == "1"
        report.refresh_from_db()
        assert report.status == RemediationReport.Status.RUNNING
        # The whole worker dies at once (OOM killer, power cut): no chance to ack or requeue.
        os.killpg(doomed.pid, signal.SIGKILL)
        doomed.wait(timeout=10)

    report.refresh_from_db()
    assert report.status == RemediationReport.Status.RUNNING  # nobody finished it

    with celery_worker_process(worker_env, "rescuer") as rescuer:
        report = wait_for_report(report.public_id, timeout=120)
        emails = _emails(worker_env)
        assert rescuer.poll() is None

    assert [line.split()[1] for line in started.read_text().splitlines()] == ["1", "2"]
    _assert_completed_once(report, emails)


def test_a_pool_process_killed_mid_render_is_rejected_and_redelivered(worker_env, alice, submit):
    assessment = submit(alice)
    started = worker_env["tmp"] / "render-started"
    worker_env["env"]["PORTCULLIS_TEST_SLOW_UNTIL_ATTEMPT"] = "1"
    # An hour: the message must come back because the worker rejected it, not because
    # Redis restored it after the visibility timeout.
    worker_env["env"]["PORTCULLIS_TEST_VISIBILITY_TIMEOUT"] = "3600"
    log = worker_env["tmp"] / "worker-survivor.log"
    with celery_worker_process(
        worker_env, "survivor", render_seconds=SLOW_RENDER_SECONDS
    ) as survivor:
        report = report_request(actor=alice, assessment=assessment)
        pid, attempt = _wait_for_file(started, 90, survivor, log).split()
        assert attempt == "1" and int(pid) != survivor.pid
        # Only the pool process dies (OOM killer): the worker rejects the message back to
        # the queue (reject_on_worker_lost) and a fresh pool process renders it.
        os.kill(int(pid), signal.SIGKILL)

        report = wait_for_report(report.public_id, timeout=120)
        emails = _emails(worker_env)
        assert survivor.poll() is None

    assert [line.split()[1] for line in started.read_text().splitlines()] == ["1", "2"]
    _assert_completed_once(report, emails)
