"""Writes for remediation reports: request, regenerate, render, download.

The life of a report: `report_request` (or `report_regenerate_for_organisation`) creates or
re-queues one row per render key and enqueues `reports.render` after the transaction
commits; the task calls `report_render`, which claims the row with one conditional UPDATE,
renders HTML and PDF from one template, stores both in the private storage and marks the
row ready (or failed, with the error). A ready report for the same key is reused, so the
same assessment, engine, pack and answers never render twice; a failed render leaves the
previous ready report in place.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.mail import send_mail
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.text import slugify

from apps.accounts.selectors import membership_for_user
from apps.assessments.models import Assessment
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.core import after_response
from apps.reports.models import RemediationReport
from apps.reports.selectors import report_get_for_user

logger = logging.getLogger(__name__)

# Bump when the report's template or content changes: every report then renders afresh.
REPORT_FORMAT_VERSION = (
    5  # 2: shared charts; 3: zone labels; 4: self-contained HTML; 5: band colours
)

# Failures worth another go: the database or the storage blinked. Anything else (a bug,
# bad data, a render that blows the time limit) fails at once and says so.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
)

# A running job whose worker vanished without a redelivery (in-process eager mode, a hard
# time limit) is taken back after the task's hard time limit plus a margin.
RUNNING_LEASE = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)

# Claims of one queued job before it is failed for good: the task's own retries (5) plus a
# few redeliveries after a lost worker.
MAX_DELIVERIES = 8


class ReportError(Exception):
    """A request the service refuses; the message is fit to show to the person."""


class ReportNotAvailable(ReportError):
    pass


# --- Requests ---------------------------------------------------------------------------


def render_key(*, assessment: Assessment, score) -> str:
    """What makes two renders the same: assessment, engine, pack, answers and report format."""
    material = "\n".join(
        [
            str(assessment.public_id),
            score.engine_version,
            score.pack.label,
            score.answers_sha256,
            str(REPORT_FORMAT_VERSION),
        ]
    )
    return hashlib.sha256(material.encode()).hexdigest()


def _enqueue(report_public_id) -> None:
    from apps.reports.tasks import report_render_task

    # SECURITY: the message carries the report's public id and nothing else: no names,
    # answers or notes sit in the broker.
    if report_render_task.app.conf.task_always_eager:
        # No broker: render in-process, but after the response, so that the results page
        # never waits for the PDF (it shows "queued" and updates itself).
        after_response.defer(lambda: report_render_task.delay(str(report_public_id)))
        return
    report_render_task.delay(str(report_public_id))


def _enqueue_on_commit(report: RemediationReport) -> None:
    public_id = report.public_id

    def enqueue_report_render():  # a named function: Django logs robust failures by name
        _enqueue(public_id)

    # robust: a broker outage must not turn a committed submit into an error page. The row
    # stays queued; the periodic sweep (or the person's "try again") sends it again.
    transaction.on_commit(enqueue_report_render, robust=True)


def _queue_render(*, actor, assessment: Assessment, score) -> RemediationReport:
    """Create, re-queue or reuse the report for this score. Must run inside a transaction."""
    key = render_key(assessment=assessment, score=score)
    report, created = RemediationReport.objects.get_or_create(
        assessment=assessment,
        render_key=key,
        defaults={
            "score": score,
            "requested_by": actor if getattr(actor, "is_authenticated", False) else None,
            "engine_version": score.engine_version,
            "pack_version": score.pack.label,
            "answers_sha256": score.answers_sha256,
            "format_version": REPORT_FORMAT_VERSION,
        },
    )
    if created:
        _enqueue_on_commit(report)
        return report
    now = timezone.now()
    requeued = _requeue(RemediationReport.objects.filter(pk=report.pk), now=now)
    if not requeued and report.is_queued:
        # A queued row is enqueued again: its first message may have been lost, and a
        # duplicate is harmless (only one task can claim the row).
        RemediationReport.objects.filter(
            pk=report.pk, status=RemediationReport.Status.QUEUED
        ).update(queued_at=now)
        requeued = 1
    if requeued:
        _enqueue_on_commit(report)
    report.refresh_from_db()
    return report


def _retryable(now) -> Q:
    """Jobs worth queueing again on request: failed, or running past their lease (the
    worker vanished without a redelivery)."""
    return Q(status=RemediationReport.Status.FAILED) | Q(
        status=RemediationReport.Status.RUNNING, started_at__lt=now - RUNNING_LEASE
    )


def _requeue(queryset, *, now) -> int:
    """Queue the retryable jobs of `queryset` afresh (a new wait, a new delivery count)."""
    return queryset.filter(_retryable(now)).update(
        status=RemediationReport.Status.QUEUED,
        task_id="",
        error="",
        queued_at=now,
        started_at=None,
        deliveries=0,
    )


def _require_owner(*, actor, assessment: Assessment) -> None:
    # SECURITY: 404, not 403: nobody learns that someone else's assessment exists.
    if not getattr(actor, "is_authenticated", False) or assessment.user_id != actor.pk:
        raise Http404("No such assessment.")


def report_queue_for_score(*, actor, assessment: Assessment, score) -> RemediationReport:
    """Queue the report of a Score just recorded at submit, in the caller's transaction."""
    _require_owner(actor=actor, assessment=assessment)
    return _queue_render(actor=actor, assessment=assessment, score=score)


def report_request(*, actor, assessment: Assessment) -> RemediationReport:
    """Queue the report of `actor`'s submitted assessment (on submit, or "try again").

    Returns the report for the assessment's latest Score: a ready one is reused as it is,
    a queued or running one is left to finish (a queued one is enqueued again, which is
    harmless), a failed one is queued again. The task is enqueued only after commit.
    """
    _require_owner(actor=actor, assessment=assessment)
    if not assessment.is_submitted:
        raise ReportNotAvailable("Submit your answers first: the report is made from them.")
    from apps.scoring.services import score_record

    with transaction.atomic():
        # Idempotent: the snapshot of these answers under the current engine, recorded at
        # submit; a new engine version gets a new snapshot, and so a new render.
        score = score_record(assessment=assessment)
        return _queue_render(actor=actor, assessment=assessment, score=score)


@dataclass(frozen=True)
class RegenerateResult:
    assessments: int
    queued: int  # renders newly queued or re-queued; the rest were ready or in progress


def report_regenerate_for_organisation(*, actor, organisation) -> RegenerateResult:
    """An org admin asks for fresh reports for every submitted assessment of their organisation.

    Each assessment is scored afresh (a new engine or report format gives new renders); a
    report whose inputs have not changed is reused, not rendered again; a failed or stalled
    one is queued again. A fixed number of queries whatever the organisation's size, one
    transaction, audited once; the renders are enqueued after it commits.
    """
    membership = membership_for_user(user=actor)
    # SECURITY: an admin of their own organisation only; anyone else learns nothing.
    if (
        membership is None
        or not membership.is_org_admin
        or membership.organisation_id != organisation.pk
    ):
        raise Http404("No such organisation.")
    from apps.scoring.services import score_current_for_many

    now = timezone.now()
    with transaction.atomic():
        assessments = list(
            Assessment.objects.filter(
                organisation=organisation, status=Assessment.Status.SUBMITTED
            ).select_related("pack")
        )
        scores = score_current_for_many(assessments=assessments)
        keys = {a.pk: render_key(assessment=a, score=scores[a.pk]) for a in assessments}
        existing = {
            (report.assessment_id, report.render_key): report
            for report in RemediationReport.objects.filter(
                assessment__in=assessments, render_key__in=set(keys.values())
            )
        }
        created = RemediationReport.objects.bulk_create(
            [
                RemediationReport(
                    assessment=a,
                    render_key=keys[a.pk],
                    score=scores[a.pk],
                    requested_by=actor,
                    engine_version=scores[a.pk].engine_version,
                    pack_version=scores[a.pk].pack.label,
                    answers_sha256=scores[a.pk].answers_sha256,
                    format_version=REPORT_FORMAT_VERSION,
                )
                for a in assessments
                if (a.pk, keys[a.pk]) not in existing
            ]
        )
        found = RemediationReport.objects.filter(pk__in=[r.pk for r in existing.values()])
        again = list(found.filter(_retryable(now)).values_list("public_id", flat=True))
        _requeue(found.filter(public_id__in=again), now=now)
        # Rows still queued from before are enqueued again too (their message may be lost;
        # a duplicate is harmless).
        waiting = [r.public_id for r in existing.values() if r.is_queued]
        to_enqueue = [*(r.public_id for r in created), *again, *waiting]

        def enqueue_report_renders():
            for public_id in to_enqueue:
                _enqueue(public_id)

        transaction.on_commit(enqueue_report_renders, robust=True)
        queued = len(created) + len(again)
        audit_record(
            actor=actor,
            action="report.regenerate_all",
            organisation=organisation,
            obj=organisation,
            detail={"assessments": len(assessments), "queued": queued},
        )
    return RegenerateResult(assessments=len(assessments), queued=queued)


# Queued this long without a worker taking it: the message was probably lost (a broker
# outage at enqueue time). Well above a render's time, so a busy queue is not mistaken.
STALLED_QUEUE_AFTER = timedelta(minutes=10)


def report_requeue_stalled() -> int:
    """Send again the jobs nobody is working on (the `reports.sweep` task, every few minutes).

    A queued job waiting longer than STALLED_QUEUE_AFTER is enqueued again (its message was
    lost: a broker outage at submit, say); a running job past its lease whose worker
    vanished without a redelivery (killed at its hard time limit) is queued again. The
    delivery count is kept, so a render that never finishes is still given up on.
    Returns how many jobs were sent again.
    """
    now = timezone.now()
    stalled = RemediationReport.objects.filter(
        Q(status=RemediationReport.Status.QUEUED, queued_at__lt=now - STALLED_QUEUE_AFTER)
        | Q(status=RemediationReport.Status.RUNNING, started_at__lt=now - RUNNING_LEASE)
    )
    with transaction.atomic():
        ids = list(stalled.select_for_update(skip_locked=True).values_list("public_id", flat=True))
        RemediationReport.objects.filter(public_id__in=ids).update(
            status=RemediationReport.Status.QUEUED, task_id="", queued_at=now
        )

        def enqueue_stalled_renders():
            for public_id in ids:
                _enqueue(public_id)

        transaction.on_commit(enqueue_stalled_renders, robust=True)
    if ids:
        logger.warning("Sent %s stalled report job(s) again", len(ids))
    return len(ids)


# --- Rendering --------------------------------------------------------------------------


def _claim(*, report_public_id, task_id: str) -> RemediationReport | None:
    """Take the job, or None when another task holds it or it is already done.

    One conditional UPDATE is the lock: of two deliveries, one changes the row and the other
    changes nothing. A running job may be taken back by a redelivery of the message that
    claimed it (same task id: the worker was killed mid-render) or once its lease expired.
    """
    now = timezone.now()
    claimable = (
        Q(status=RemediationReport.Status.QUEUED)
        | Q(status=RemediationReport.Status.RUNNING, task_id=task_id)
        | Q(status=RemediationReport.Status.RUNNING, started_at__lt=now - RUNNING_LEASE)
    )
    job = RemediationReport.objects.filter(public_id=report_public_id).filter(claimable)
    # A message delivered again and again without ever finishing (the render kills its
    # worker each time: out of memory, a crash in a native library) is given up on.
    poisoned = job.filter(deliveries__gte=MAX_DELIVERIES).update(
        status=RemediationReport.Status.FAILED,
        error=f"Gave up after {MAX_DELIVERIES} deliveries that never finished.",
        finished_at=now,
    )
    if poisoned:
        logger.error("Report %s: given up after %s deliveries", report_public_id, MAX_DELIVERIES)
        return None
    claimed = job.filter(deliveries__lt=MAX_DELIVERIES).update(
        status=RemediationReport.Status.RUNNING,
        task_id=task_id,
        started_at=now,
        finished_at=None,
        attempts=F("attempts") + 1,
        deliveries=F("deliveries") + 1,
    )
    if not claimed:
        return None
    return RemediationReport.objects.select_related(
        "assessment__user", "assessment__organisation", "assessment__pack", "score__pack"
    ).get(public_id=report_public_id)


def _held(report: RemediationReport, task_id: str):
    # Every write after the claim is conditional on still holding it, so a worker that lost
    # its lease can never overwrite the outcome of the one that took over.
    return RemediationReport.objects.filter(
        pk=report.pk, status=RemediationReport.Status.RUNNING, task_id=task_id
    )


def _storage():
    return storages["private"]


def _file_stem(report: RemediationReport) -> str:
    return f"reports/{report.public_id.hex}/attempt-{report.attempts}"


_STORED_NAME_RE = r"^reports/{hex}/attempt-\d+(?:_[A-Za-z0-9]{{7}})?\.{ext}$"


def _run_render_hook(report: RemediationReport) -> None:
    # Test and benchmark hook (e.g. a deliberately slow render); unset in normal running.
    hook = getattr(settings, "REPORTS_RENDER_HOOK", "")
    if hook:
        import_string(hook)(report)


def _fail(report: RemediationReport, task_id: str, message: str) -> None:
    _held(report, task_id).update(
        status=RemediationReport.Status.FAILED,
        error=message[:1000],
        finished_at=timezone.now(),
    )


def report_render(
    *, report_public_id, task_id: str, final_attempt: bool = True
) -> RemediationReport | None:
    """Render one queued report (the body of the `reports.render` task).

    Returns the report when this call rendered it, None when there was nothing to do
    (already ready, or held by another task). A transient error puts the row back in the
    queue and is raised for the task to retry with backoff, unless this was the final
    attempt; any other error marks the row failed with the reason.
    """
    from apps.reports.rendering import render_report

    report = _claim(report_public_id=report_public_id, task_id=task_id)
    if report is None:
        _notify_if_missed(report_public_id)
        return None
    storage = _storage()
    stored: list[str] = []
    try:
        _run_render_hook(report)
        rendered = render_report(report)
        stem = _file_stem(report)
        stored.append(storage.save(f"{stem}.html", ContentFile(rendered.html)))
        stored.append(storage.save(f"{stem}.pdf", ContentFile(rendered.pdf)))
        with transaction.atomic():
            done = _held(report, task_id).update(
                status=RemediationReport.Status.READY,
                error="",
                html_name=stored[0],
                pdf_name=stored[1],
                sha256=hashlib.sha256(rendered.pdf).hexdigest(),
                size=len(rendered.pdf),
                finished_at=timezone.now(),
            )
            if done:
                _enqueue_notify_on_commit(report.public_id)
    except SoftTimeLimitExceeded:
        _discard_unless_kept(report, storage, stored)
        _fail(report, task_id, "The report took too long to produce.")
        logger.warning("Report %s: render exceeded its time limit", report.public_id)
        return None
    except TRANSIENT_ERRORS as exc:
        _discard_unless_kept(report, storage, stored)
        message = f"{type(exc).__name__}: {exc}"
        if final_attempt:
            _fail(report, task_id, f"Gave up after {report.attempts} attempts. {message}")
            logger.error("Report %s failed for good: %s", report.public_id, message)
            return None
        # If the database itself is down this fails too: the retry (or the lease) sorts it.
        with contextlib.suppress(DatabaseError):
            _held(report, task_id).update(
                status=RemediationReport.Status.QUEUED, error=f"Retrying: {message}"
            )
        raise
    except Exception as exc:
        _discard_unless_kept(report, storage, stored)
        _fail(report, task_id, f"{type(exc).__name__}: {exc}")
        logger.exception("Report %s failed", report.public_id)
        return None
    if not done:
        _discard(storage, stored)
        return None
    report.refresh_from_db()
    return report


def _notify_if_missed(report_public_id) -> None:
    # A worker that died between marking the report ready and enqueueing the email leaves
    # its message unacknowledged; when it comes back, the report is done but the email is
    # not. (A duplicate notify task is harmless: the email is claimed before it is sent.)
    if RemediationReport.objects.filter(
        public_id=report_public_id,
        status=RemediationReport.Status.READY,
        notified_at__isnull=True,
    ).exists():
        _enqueue_notify(report_public_id)


def _discard_unless_kept(report: RemediationReport, storage, names: list[str]) -> None:
    """Delete the files of a render that did not land, unless the row points at them after
    all (the error came after the commit, e.g. a time limit or a lost COMMIT reply)."""
    if not names:
        return
    try:
        kept = RemediationReport.objects.filter(
            pk=report.pk, status=RemediationReport.Status.READY, pdf_name__in=names
        ).exists()
    except DatabaseError:
        kept = True  # cannot tell: an orphan file is better than a ready row without one
    if not kept:
        _discard(storage, names)


def report_files_delete(names: list[str]) -> None:
    """Delete report files from the private storage (their row is gone)."""
    _discard(_storage(), names)


def _discard(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            logger.warning("Could not delete the partial report file %s", name)


# --- Notification -----------------------------------------------------------------------


def report_results_url(report: RemediationReport) -> str:
    """Where the person sees their results and report (an absolute URL for emails)."""
    path = reverse("assessments:results", kwargs={"public_id": report.assessment.public_id})
    return settings.SITE_URL + path


def _enqueue_notify(report_public_id) -> None:
    from apps.reports.tasks import report_notify_task

    report_notify_task.delay(str(report_public_id))


def _enqueue_notify_on_commit(report_public_id) -> None:
    def enqueue_report_notify():
        _enqueue_notify(report_public_id)

    transaction.on_commit(enqueue_report_notify, robust=True)


def report_notify(*, report_public_id) -> bool:
    """Tell the person their report is ready, once (the body of the `reports.notify` task).

    Returns False when there was nothing to send (already sent, or no longer ready). When
    the email cannot be handed over, the claim is released and the error raised, for the
    task to retry with backoff; the report itself is ready regardless.

    # SECURITY: a link and nothing else. Email leaves our control: no exposure, band,
    # plan or answer ever goes in it.
    """
    claimed = RemediationReport.objects.filter(
        public_id=report_public_id,
        status=RemediationReport.Status.READY,
        notified_at__isnull=True,
    ).update(notified_at=timezone.now())
    if not claimed:
        return False  # already sent (a duplicate delivery), or no longer ready
    report = RemediationReport.objects.select_related("assessment__user").get(
        public_id=report_public_id
    )
    person = report.assessment.user
    context = {"person": person, "results_url": report_results_url(report)}
    try:
        send_mail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}Your report is ready",
            message=render_to_string("reports/email/report_ready.txt", context),
            from_email=None,
            recipient_list=[person.email],
        )
    except Exception:
        RemediationReport.objects.filter(pk=report.pk).update(notified_at=None)
        logger.warning("Report %s: the ready email could not be sent", report.public_id)
        raise
    return True


# --- Downloads --------------------------------------------------------------------------

DOWNLOAD_KINDS = {"pdf": "application/pdf", "html": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class ReportDownload:
    file: object  # an open binary file from the private storage
    filename: str
    content_type: str


def report_download(
    *, actor, public_id, kind: str, reason_recorded: bool = False
) -> ReportDownload:
    """Open a ready report's PDF or HTML for `actor`: the person, or an admin of their
    organisation (audited: exactly one event per download). 404 for anyone else.

    An admin opens someone else's report only through the compliance pages, which
    record the reason they gave first and then pass `reason_recorded=True`; a direct
    request without it is refused (404) and recorded as denied.
    """
    if kind not in DOWNLOAD_KINDS:
        raise Http404("No such file.")
    try:
        report = report_get_for_user(user=actor, public_id=public_id)
        # SECURITY: no unexplained look at another person's report (issue 10, privacy).
        if report.assessment.user_id != actor.pk and not reason_recorded:
            raise Http404("No such report.")
    except Http404:
        _audit_denied(actor=actor, public_id=public_id, kind=kind)
        raise
    return report_open(actor=actor, report=report, kind=kind)


def report_open(*, actor, report: RemediationReport, kind: str) -> ReportDownload:
    """Open a ready report that the caller has already fetched through a scoped selector
    (`report_download` for people; the API's selector for organisation keys). Anyone but
    the person themselves is audited: exactly one event per download."""
    if kind not in DOWNLOAD_KINDS:
        raise Http404("No such file.")
    if not report.is_ready:
        raise Http404("This report is not ready.")
    name = report.pdf_name if kind == "pdf" else report.html_name
    # SECURITY: the path comes only from the row, and must still look like a name this
    # service wrote for this very report; anything else (a tampered row) is refused.
    pattern = _STORED_NAME_RE.format(hex=report.public_id.hex, ext=kind)
    if not name or not re.fullmatch(pattern, name):
        logger.error("Report %s has an unexpected %s file name", report.public_id, kind)
        raise Http404("No such file.")
    try:
        handle = _storage().open(name, "rb")
    except (OSError, ValueError) as exc:
        logger.error("Report %s: %s file missing", report.public_id, kind)
        raise Http404("No such file.") from exc
    person = report.assessment.user
    if actor.pk is None or person.pk != actor.pk:
        try:
            audit_record(
                actor=actor,
                action="report.download",
                organisation=report.assessment.organisation,
                subject=person,
                obj=report,
                detail={"kind": kind},
            )
        except BaseException:
            handle.close()  # no audit event, no file (and no leaked handle)
            raise
    stamp = timezone.localtime(report.finished_at or report.created_at).date().isoformat()
    who = slugify(person.display_name.split("@")[0]) or "person"
    filename = f"portcullis-report-{who}-{stamp}.{kind}"
    return ReportDownload(file=handle, filename=filename, content_type=DOWNLOAD_KINDS[kind])


def _audit_denied(*, actor, public_id, kind: str) -> None:
    """Record a refused download of a report that exists (someone probing for reports)."""
    report = (
        RemediationReport.objects.filter(public_id=public_id)
        .select_related("assessment__organisation", "assessment__user")
        .first()
    )
    if report is None:
        return
    audit_record(
        actor=actor,
        action="report.download",
        organisation=report.assessment.organisation,
        subject=report.assessment.user,
        obj=report,
        outcome=AuditEvent.Outcome.DENIED,
        detail={"kind": kind},
    )
