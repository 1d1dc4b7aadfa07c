"""Requesting, rendering, reusing and retrying reports (tasks run in-process here)."""

from __future__ import annotations

import hashlib

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.db import OperationalError
from django.http import Http404
from django.utils import timezone

from apps.reports import rendering, services
from apps.reports.models import RemediationReport
from apps.reports.services import ReportNotAvailable, report_render, report_request
from apps.reports.tasks import RENDER_MAX_RETRIES
from apps.scoring.selectors import score_latest_for_assessment
from tests.reports.support import celery_configured, pdf_text


@pytest.fixture
def assessment(alice, submit):
    return submit(alice)


@pytest.fixture
def request_report(django_capture_on_commit_callbacks):
    """`request_report(actor, assessment)`: report_request, with its on-commit enqueue run."""

    def _request(actor, assessment):
        with django_capture_on_commit_callbacks(execute=True):
            report = report_request(actor=actor, assessment=assessment)
        report.refresh_from_db()
        return report

    return _request


def _read(name: str) -> bytes:
    with storages["private"].open(name, "rb") as handle:
        return handle.read()


def test_the_report_says_what_the_score_says(alice, assessment, request_report):
    report = request_report(alice, assessment)

    assert report.status == RemediationReport.Status.READY, report.error
    score = score_latest_for_assessment(assessment=assessment)
    assert report.score == score
    assert report.engine_version == score.engine_version
    assert report.pack_version == assessment.pack.label
    assert report.answers_sha256 == score.answers_sha256
    pdf = _read(report.pdf_name)
    assert report.sha256 == hashlib.sha256(pdf).hexdigest()
    assert report.size == len(pdf)
    assert report.attempts == 1
    assert report.started_at <= report.finished_at

    text = pdf_text(pdf)
    # Cover: person, organisation, pack title and version.
    assert "Alice Member MP" in text
    assert "Office of Alice (A)" in text
    assert "Test pack for people in public life, version 2026.1" in text
    # Summary: each scenario's band, the baseline flag, the first plan step.
    result = score.result
    for scenario in result["scenarios"]:
        assert scenario["title"] in text
        assert scenario["band"].capitalize() in text
    assert result["baseline_met"] is False
    assert "Baseline not met" in text
    assert result["plan"], "the exposed answers must leave something to do"
    assert result["plan"][0]["title"] in text
    # The plan's step-by-step remediation and its sources.
    assert "Open your email account's security settings." in text
    assert "Cyber Aware" in text
    # The answer table with notes, and the glossary.
    assert "Only on my work account." in text
    assert "Glossary" in text

    html = _read(report.html_name).decode()
    assert result["plan"][0]["title"] in html
    assert "<svg" in html and "style=" not in html and "<script" not in html
    # Self-contained: the stylesheet travels inside the file, nothing is fetched.
    assert "<style>" in html and ".report-charts" in html
    assert '<link rel="stylesheet"' not in html and "http://" not in html.split("<body")[0]


def test_the_report_says_which_ways_in_are_open_and_which_step_closes_them(
    alice, submit, request_report
):
    from tests.reports.fixtures import EXPOSED_ANSWERS

    # Updates only partly on: the malware step every route needs is half open.
    assessment = submit(alice, {**EXPOSED_ANSWERS, "T-DEV-01": ("partly", "")})
    report = request_report(alice, assessment)
    assert report.status == RemediationReport.Status.READY, report.error
    result = report.score.result
    html = _read(report.html_name).decode()

    assert result["scenarios"][0]["open_routes"] == 0.75  # (1 + 0.5) x 1 x 0.5
    assert "About 1 way in still open; after the plan, no way in left open." in html
    assert "first the steps that close the most ways in for their effort" in html
    # The first step (2-step verification or updates, each blocks a step every route
    # needs) closes them all; the summary and the plan say so.
    first = result["plan"][0]
    assert first["routes"] == {"account-takeover": [0.75, 0]}
    assert html.count("Closes every way in still open") == 2
    assert f'{first["title"]}</h3>\n    <p class="report-ways-in"><strong>Closes' in html


def test_a_report_of_a_score_stored_by_engine_one_still_renders(alice, assessment, request_report):
    from tests.scoring.test_rescore import as_engine_one

    report = request_report(alice, assessment)
    as_engine_one(report.score)
    report.refresh_from_db()

    html = rendering.render_report(report).html.decode()
    assert report.score.result["plan"][0]["title"] in html
    assert "each step cuts the most exposure for its effort" in html
    assert "ways in" not in html and "way in" not in html


def test_the_same_score_is_never_rendered_twice(alice, assessment, request_report):
    first = request_report(alice, assessment)
    again = request_report(alice, assessment)

    assert again.pk == first.pk
    assert again.attempts == 1
    assert RemediationReport.objects.filter(assessment=assessment).count() == 1
    assert len(mail.outbox) == 1


def test_only_the_person_may_request_their_report(alice, bob, carol, assessment):
    for someone_else in (bob, carol):
        with pytest.raises(Http404):
            report_request(actor=someone_else, assessment=assessment)
    # (Submitting may have requested her report already; nobody else added one.)
    assert not RemediationReport.objects.exclude(requested_by=alice).exists()


def test_an_unsubmitted_assessment_has_no_report(alice, pack):
    from apps.assessments.models import Assessment

    draft = Assessment.objects.create(
        user=alice,
        organisation=alice.membership.organisation,
        pack=pack,
        audience="parliamentarian",
    )
    with pytest.raises(ReportNotAvailable):
        report_request(actor=alice, assessment=draft)


def test_the_ready_email_has_a_link_and_nothing_sensitive(alice, assessment, request_report):
    report = request_report(alice, assessment)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.org"]
    assert f"/assessments/{assessment.public_id}/results/" in message.body
    body = (message.subject + message.body).lower()
    result = report.score.result
    for scenario in result["scenarios"]:
        assert scenario["band"] not in body
        assert scenario["title"].lower() not in body
    for step in result["plan"]:
        assert step["title"].lower() not in body
    assert "only on my work account" not in body
    assert "exposure" not in body


def test_a_failed_render_is_visible_keeps_the_previous_report_and_can_be_retried(
    alice, assessment, request_report, monkeypatch
):
    previous = request_report(alice, assessment)
    # A new report format: the same assessment needs a fresh render.
    monkeypatch.setattr(services, "REPORT_FORMAT_VERSION", services.REPORT_FORMAT_VERSION + 1)

    def broken(html):
        raise ValueError("the renderer fell over")

    monkeypatch.setattr(rendering, "html_to_pdf", broken)
    failed = request_report(alice, assessment)

    assert failed.pk != previous.pk
    assert failed.status == RemediationReport.Status.FAILED
    assert failed.error == "ValueError: the renderer fell over"
    assert failed.pdf_name == "" and failed.finished_at is not None
    previous.refresh_from_db()
    assert previous.status == RemediationReport.Status.READY
    assert storages["private"].exists(previous.pdf_name)
    assert len(mail.outbox) == 1  # only for the report that was made

    monkeypatch.undo()
    monkeypatch.setattr(services, "REPORT_FORMAT_VERSION", services.REPORT_FORMAT_VERSION + 1)
    retried = request_report(alice, assessment)

    assert retried.pk == failed.pk
    assert retried.status == RemediationReport.Status.READY
    assert retried.error == ""
    assert retried.attempts == 2
    assert len(mail.outbox) == 2


def test_in_process_a_transient_error_fails_at_once_and_try_again_works(
    alice, assessment, request_report, monkeypatch
):
    # Without a broker the render runs inside the web request: no retry loop there.
    real_render = rendering.render_report
    calls = []

    def flaky(report):
        calls.append(report.attempts)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_render(report)

    monkeypatch.setattr(rendering, "render_report", flaky)
    report = request_report(alice, assessment)

    assert report.status == RemediationReport.Status.FAILED
    assert report.error.startswith("Gave up after 1 attempts.")
    assert calls == [1]

    report = request_report(alice, assessment)  # "Try again"

    assert report.status == RemediationReport.Status.READY
    assert calls == [1, 2] and report.attempts == 2


def test_a_transient_error_requeues_for_a_retry_until_the_final_attempt(
    alice, assessment, monkeypatch
):
    def down(report):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(rendering, "render_report", down)
    report = _queued_report(alice, assessment)

    with pytest.raises(OperationalError):
        report_render(report_public_id=report.public_id, task_id="t1", final_attempt=False)
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.QUEUED
    assert report.error == "Retrying: OperationalError: could not connect to server"

    assert report_render(report_public_id=report.public_id, task_id="t1") is None
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.FAILED
    assert report.error.startswith("Gave up after 2 attempts.")
    assert "could not connect to server" in report.error
    assert RENDER_MAX_RETRIES >= 3  # the worker's retries (with backoff: tests/reports/test_worker)


def _queued_report(alice, assessment):
    """A queued row as report_request leaves it: in this test's transaction the on-commit
    enqueue never runs."""
    report = report_request(actor=alice, assessment=assessment)
    assert report.status == RemediationReport.Status.QUEUED
    return report


def test_only_one_delivery_can_claim_a_job(alice, assessment, django_capture_on_commit_callbacks):
    report = _queued_report(alice, assessment)
    RemediationReport.objects.filter(pk=report.pk).update(
        status=RemediationReport.Status.RUNNING, task_id="task-a", started_at=timezone.now()
    )

    # A duplicate message (another task id) finds the job held and does nothing.
    assert report_render(report_public_id=report.public_id, task_id="task-b") is None
    report.refresh_from_db()
    assert (report.status, report.task_id, report.attempts) == ("running", "task-a", 0)

    # The message that holds it, delivered again (its worker died), takes it back.
    with django_capture_on_commit_callbacks(execute=True):
        done = report_render(report_public_id=report.public_id, task_id="task-a")
    assert done is not None and done.status == RemediationReport.Status.READY
    assert done.attempts == 1

    # Once ready, any further delivery is a no-op.
    assert report_render(report_public_id=report.public_id, task_id="task-c") is None
    assert len(mail.outbox) == 1


def test_a_job_whose_worker_vanished_is_taken_over_after_its_lease(alice, assessment):
    report = _queued_report(alice, assessment)
    long_ago = timezone.now() - services.RUNNING_LEASE - timezone.timedelta(seconds=1)
    RemediationReport.objects.filter(pk=report.pk).update(
        status=RemediationReport.Status.RUNNING, task_id="task-dead", started_at=long_ago
    )

    done = report_render(report_public_id=report.public_id, task_id="task-new")

    assert done is not None and done.status == RemediationReport.Status.READY


def steal_the_job(report):
    """Render hook: another task takes the job over while this one renders."""
    RemediationReport.objects.filter(pk=report.pk).update(task_id="task-thief")


def test_a_render_that_lost_its_job_writes_nothing(alice, assessment, settings):
    report = _queued_report(alice, assessment)
    settings.REPORTS_RENDER_HOOK = "tests.reports.test_services.steal_the_job"

    assert report_render(report_public_id=report.public_id, task_id="task-slow") is None

    report.refresh_from_db()
    assert report.status == RemediationReport.Status.RUNNING
    assert report.task_id == "task-thief"
    assert report.pdf_name == ""
    # Its files were removed again.
    assert not storages["private"].listdir(f"reports/{report.public_id.hex}")[1]
    assert mail.outbox == []


def test_a_job_stuck_in_running_is_queued_again_on_request(alice, assessment, request_report):
    report = _queued_report(alice, assessment)
    long_ago = timezone.now() - services.RUNNING_LEASE - timezone.timedelta(seconds=1)
    RemediationReport.objects.filter(pk=report.pk).update(
        status=RemediationReport.Status.RUNNING, task_id="task-dead", started_at=long_ago
    )

    again = request_report(alice, assessment)

    assert again.pk == report.pk
    assert again.status == RemediationReport.Status.READY


def test_a_broker_outage_at_submit_leaves_a_queued_report_not_an_error(
    alice, assessment, django_capture_on_commit_callbacks
):
    import time

    unreachable = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    started = time.monotonic()
    with (
        # The deployed publishing settings, only the broker is gone.
        celery_configured(task_always_eager=False, broker_url=unreachable),
        django_capture_on_commit_callbacks(execute=True),
    ):
        report = report_request(actor=alice, assessment=assessment)
    # Bounded by the publish retry policy: the page comes back (a hang would be minutes).
    assert time.monotonic() - started < 20

    report.refresh_from_db()
    assert report.status == RemediationReport.Status.QUEUED
    # Asking again (the status page offers it) enqueues it again, and it completes.
    with django_capture_on_commit_callbacks(execute=True):
        report_request(actor=alice, assessment=assessment)
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.READY


def test_a_redelivery_after_a_crash_between_ready_and_email_still_sends_it_once(
    alice, assessment, django_capture_on_commit_callbacks
):
    report = _queued_report(alice, assessment)
    with django_capture_on_commit_callbacks(execute=False):  # the worker dies before commit hooks
        report_render(report_public_id=report.public_id, task_id="task-a")
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.READY and report.notified_at is None
    assert mail.outbox == []

    # The same message comes back: nothing to render, but the email goes out...
    assert report_render(report_public_id=report.public_id, task_id="task-a") is None
    assert len(mail.outbox) == 1
    # ...and only once, however often it comes back.
    assert report_render(report_public_id=report.public_id, task_id="task-a") is None
    assert len(mail.outbox) == 1


def test_submit_queues_the_report_and_without_a_broker_it_is_ready_on_commit(
    alice, submit, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assessment = submit(alice)

    report = RemediationReport.objects.get(assessment=assessment)
    assert report.status == RemediationReport.Status.READY, report.error
    assert report.requested_by == alice
    assert report.score == score_latest_for_assessment(assessment=assessment)
    assert report.score.result["plan"][0]["title"] in pdf_text(_read(report.pdf_name))
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_a_submit_that_rolls_back_leaves_no_report_and_enqueues_nothing(
    alice, submit, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from apps.assessments.models import Assessment

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        submit(alice)
        raise RuntimeError("the request failed after the submit")

    assert callbacks == []
    assert not Assessment.objects.filter(user=alice).exists()
    assert not RemediationReport.objects.exists()
    assert mail.outbox == []


def test_the_charts_are_the_same_svg_on_the_results_page_and_in_the_report(
    client_for, alice, assessment, request_report
):
    import re

    report = request_report(alice, assessment)
    page = client_for(alice).get(f"/assessments/{assessment.public_id}/results/")
    html = _read(report.html_name).decode()

    def charts(markup: str) -> list[str]:
        return re.findall(
            r'<svg class="portcullis-(?:gauge|exposure-chart)".*?</svg>', markup, re.DOTALL
        )

    on_screen = charts(page.content.decode())
    assert len(on_screen) == 2 * len(report.score.result["scenarios"])
    assert charts(html) == on_screen


def test_deleting_a_person_with_a_ready_report_deletes_the_report_and_its_files(
    alice, assessment, request_report, django_capture_on_commit_callbacks
):
    report = request_report(alice, assessment)
    names = [report.pdf_name, report.html_name]
    assert all(storages["private"].exists(name) for name in names)

    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()

    assert not RemediationReport.objects.filter(pk=report.pk).exists()
    assert not any(storages["private"].exists(name) for name in names)


def test_a_score_cannot_be_deleted_from_under_its_report(alice, assessment, request_report):
    from django.db.models import RestrictedError

    report = request_report(alice, assessment)

    with pytest.raises(RestrictedError):
        report.score.delete()


def test_a_render_that_never_finishes_is_given_up_after_a_few_deliveries(alice, assessment):
    report = _queued_report(alice, assessment)
    # Each delivery claims the job and its worker dies mid-render (nothing else happens).
    for _delivery in range(services.MAX_DELIVERIES):
        assert services._claim(report_public_id=report.public_id, task_id="same") is not None

    assert report_render(report_public_id=report.public_id, task_id="same") is None

    report.refresh_from_db()
    assert report.status == RemediationReport.Status.FAILED
    assert report.error.startswith(f"Gave up after {services.MAX_DELIVERIES} deliveries")
    # "Try again" starts a fresh count.
    report = report_request(actor=alice, assessment=assessment)
    assert report.status == RemediationReport.Status.QUEUED and report.deliveries == 0


def test_an_email_that_cannot_be_sent_is_released_for_a_retry(alice, assessment, monkeypatch):
    from smtplib import SMTPRecipientsRefused

    from apps.reports.services import report_notify

    report = _queued_report(alice, assessment)
    report_render(report_public_id=report.public_id, task_id="t")  # ready; email not sent yet

    def refused(*args, **kwargs):
        raise SMTPRecipientsRefused({"alice@example.org": (451, b"try later")})

    monkeypatch.setattr(services, "send_mail", refused)
    with pytest.raises(SMTPRecipientsRefused):
        report_notify(report_public_id=report.public_id)
    report.refresh_from_db()
    assert report.notified_at is None

    monkeypatch.undo()
    assert report_notify(report_public_id=report.public_id) is True
    assert report_notify(report_public_id=report.public_id) is False  # once only
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_the_sweep_sends_again_jobs_nobody_is_working_on(
    alice, bob, carol, submit, django_capture_on_commit_callbacks, monkeypatch
):
    from datetime import timedelta

    from django.utils import timezone

    from config.celery import app

    lost = submit(alice)  # its message was lost: queued long ago
    orphaned = submit(carol)  # its worker vanished at the hard time limit
    fresh = submit(bob)  # queued a moment ago: a worker will get to it
    long_ago = timezone.now() - timedelta(hours=1)
    RemediationReport.objects.filter(assessment=lost).update(queued_at=long_ago)
    RemediationReport.objects.filter(assessment=orphaned).update(
        status=RemediationReport.Status.RUNNING, started_at=long_ago, task_id="gone", deliveries=3
    )
    sent = []
    monkeypatch.setattr(services, "_enqueue", sent.append)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.report_requeue_stalled() == 2

    by_assessment = {r.assessment_id: r for r in RemediationReport.objects.all()}
    assert set(sent) == {by_assessment[lost.pk].public_id, by_assessment[orphaned.pk].public_id}
    again = by_assessment[orphaned.pk]
    assert again.status == RemediationReport.Status.QUEUED and again.deliveries == 3
    assert by_assessment[lost.pk].queued_at > long_ago  # not sent again at the next sweep
    assert by_assessment[fresh.pk].public_id not in sent
    assert services.report_requeue_stalled() == 0
    # celery beat runs the sweep.
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "reports.sweep" in schedule and "reports.sweep" in app.tasks


def test_the_reports_band_colours_are_the_charts():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    from apps.assessments.templatetags.assessment_charts import BAND_COLOURS

    css = Path(finders.find("reports/report.css")).read_text(encoding="utf-8")
    for band, colour in BAND_COLOURS.items():
        assert f".report-band--{band} {{ color: {colour}; }}" in css
