"""Reports rendered by a real Celery worker (celery's embedded test worker).

The broker is `memory://` by default and Redis when CELERY_BROKER_URL is set; the worker
runs in a thread of this process and sees the rows because the tests commit them
(transactional database).
"""

from __future__ import annotations

import json
import threading

import pytest
from celery.signals import before_task_publish, task_postrun
from django.core import mail
from django.core.files.storage import storages

from apps.reports import rendering, services
from apps.reports.models import RemediationReport
from apps.reports.services import report_request
from apps.reports.tasks import report_render_task
from tests.reports.support import pdf_text, wait_for_report

pytestmark = [pytest.mark.worker, pytest.mark.xdist_group("report-worker")]


def _read(name: str) -> bytes:
    with storages["private"].open(name, "rb") as handle:
        return handle.read()


@pytest.fixture
def published():
    """The messages this process publishes: (task name, headers, body)."""
    messages = []

    def record(sender=None, headers=None, body=None, **kwargs):
        messages.append((sender, headers, body))

    before_task_publish.connect(record, weak=False)
    yield messages
    before_task_publish.disconnect(record)


@pytest.fixture
def task_runs():
    """`task_runs(report_id, count, task=...)`: wait until the worker has finished `count`
    runs of `task` (the render task by default) for that report."""
    runs: dict[tuple[str, str], int] = {}
    changed = threading.Condition()

    def record(sender=None, args=None, **kwargs):
        with changed:
            key = (getattr(sender, "name", ""), args[0] if args else "")
            runs[key] = runs.get(key, 0) + 1
            changed.notify_all()

    def wait(report_id: str, count: int, task: str = "reports.render", timeout=60.0) -> None:
        with changed:
            done = changed.wait_for(lambda: runs.get((task, report_id), 0) >= count, timeout)
            assert done, runs

    task_postrun.connect(record, weak=False)
    yield wait
    task_postrun.disconnect(record)


def test_a_submitted_assessment_gets_its_report_from_the_worker(
    report_worker, alice, submit, published
):
    assessment = submit(alice)  # submitting queues the report: nobody has to ask for it

    queued = RemediationReport.objects.get(assessment=assessment)
    report = wait_for_report(queued.public_id)

    assert report.status == RemediationReport.Status.READY, report.error
    text = pdf_text(_read(report.pdf_name))
    result = report.score.result
    assert result["plan"][0]["title"] in text
    for scenario in result["scenarios"]:
        assert scenario["band"].capitalize() in text
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    # It went through the broker, not in-process: one render, then one email, by id.
    assert [(name, list(body[0])) for name, _, body in published] == [
        ("reports.render", [str(report.public_id)]),
        ("reports.notify", [str(report.public_id)]),
    ]


def test_task_messages_carry_ids_and_nothing_else(report_worker, alice, submit, published):
    assessment = submit(alice)
    report = report_request(actor=alice, assessment=assessment)
    wait_for_report(report.public_id)

    assert published
    for name, headers, body in published:
        args, kwargs, _embed = body
        assert name in ("reports.render", "reports.notify")
        assert list(args) == [str(report.public_id)]
        assert kwargs == {}
        serialised = json.dumps([headers, body], default=str)
        for sensitive in ("Only on my work account", "Ask the office manager", "alice@example"):
            assert sensitive not in serialised
        assert "Alice" not in serialised


def test_two_enqueues_render_once(report_worker, alice, submit, task_runs, published):
    assessment = submit(alice)
    report = report_request(actor=alice, assessment=assessment)
    again = report_request(actor=alice, assessment=assessment)  # if still queued: enqueued again
    report_render_task.delay(str(report.public_id))  # and a stray duplicate
    messages = [
        body
        for name, _, body in published
        if name == "reports.render" and list(body[0]) == [str(report.public_id)]
    ]
    assert len(messages) >= 2

    task_runs(str(report.public_id), len(messages))
    notices = [name for name, _, _ in published if name == "reports.notify"]
    task_runs(str(report.public_id), len(notices), task="reports.notify")

    assert again.pk == report.pk
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.READY
    assert report.attempts == 1
    assert len(storages["private"].listdir(f"reports/{report.public_id.hex}")[1]) == 2
    assert len(mail.outbox) == 1


def test_a_failure_in_the_worker_is_visible_and_try_again_works(
    report_worker, alice, submit, monkeypatch
):
    assessment = submit(alice)
    previous = wait_for_report(report_request(actor=alice, assessment=assessment).public_id)
    assert previous.status == RemediationReport.Status.READY
    monkeypatch.setattr(services, "REPORT_FORMAT_VERSION", services.REPORT_FORMAT_VERSION + 1)
    real_html_to_pdf = rendering.html_to_pdf

    def broken(html):
        raise RuntimeError("WeasyPrint crashed")

    monkeypatch.setattr(rendering, "html_to_pdf", broken)

    failed = wait_for_report(report_request(actor=alice, assessment=assessment).public_id)

    assert failed.status == RemediationReport.Status.FAILED
    assert failed.error == "RuntimeError: WeasyPrint crashed"
    previous.refresh_from_db()
    assert previous.status == RemediationReport.Status.READY
    assert storages["private"].exists(previous.pdf_name)

    monkeypatch.setattr(rendering, "html_to_pdf", real_html_to_pdf)
    retried = report_request(actor=alice, assessment=assessment)
    assert retried.pk == failed.pk and retried.status == RemediationReport.Status.QUEUED

    retried = wait_for_report(retried.public_id)
    assert retried.status == RemediationReport.Status.READY
    assert retried.attempts == 2


def test_a_transient_failure_is_retried_by_the_worker_with_backoff(
    report_worker, alice, submit, monkeypatch, published
):
    from django.db import OperationalError

    real_render = rendering.render_report
    calls = []

    def flaky(report):
        calls.append(report.attempts)
        if len(calls) == 1:
            raise OperationalError("the database restarted")
        return real_render(report)

    monkeypatch.setattr(rendering, "render_report", flaky)
    # Full jitter draws the wait at random in [0, 2 s]: take the top, so it shows.
    monkeypatch.setattr("celery.utils.time.random.randrange", lambda stop: stop - 1)
    assessment = submit(alice)
    report = wait_for_report(report_request(actor=alice, assessment=assessment).public_id)

    assert report.status == RemediationReport.Status.READY
    assert calls == [1, 2]
    assert report.attempts == 2
    # The retry went back through the broker as a scheduled message (a backoff countdown).
    retries = [
        headers
        for name, headers, body in published
        if name == "reports.render" and headers.get("retries")
    ]
    assert len(retries) == 1 and retries[0]["retries"] == 1 and retries[0]["eta"]


def test_a_mail_server_outage_delays_the_email_but_does_not_lose_it(
    report_worker, alice, submit, monkeypatch, task_runs
):
    from smtplib import SMTPServerDisconnected

    from apps.reports import tasks

    real_send_mail = services.send_mail
    tries = []

    def flaky_send_mail(*args, **kwargs):
        tries.append(1)
        if len(tries) == 1:
            raise SMTPServerDisconnected("Connection unexpectedly closed")
        return real_send_mail(*args, **kwargs)

    monkeypatch.setattr(services, "send_mail", flaky_send_mail)
    monkeypatch.setattr(tasks, "get_exponential_backoff_interval", lambda **kwargs: 0)
    assessment = submit(alice)
    report = wait_for_report(RemediationReport.objects.get(assessment=assessment).public_id)

    task_runs(str(report.public_id), 2, task="reports.notify")  # the failure, then the retry

    assert len(tries) == 2
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]
    report.refresh_from_db()
    assert report.notified_at is not None
