"""What the report status fragment shows, for a page or a template tag."""

from __future__ import annotations

from django.utils import timezone

from apps.reports.selectors import report_status_for_assessment
from apps.reports.services import RUNNING_LEASE

POLL_SECONDS = 2


def status_context(*, user, assessment) -> dict:
    """The status of `assessment`'s report as `user` (already allowed to see it) sees it.

    A job that has been pending for longer than a render can take is shown as stuck, with
    "try again" (its worker may be gone and no redelivery coming).
    """
    status = report_status_for_assessment(assessment=assessment)
    latest = status["latest"]
    stuck = bool(
        latest is not None
        and latest.is_pending
        and latest.pending_since < timezone.now() - RUNNING_LEASE
    )
    is_owner = assessment.user_id == getattr(user, "pk", None)
    can_request = is_owner and assessment.is_submitted
    return {
        "assessment": assessment,
        "latest": latest,
        "ready": status["ready"],
        "stuck": stuck,
        "polling": bool(latest is not None and latest.is_pending and not stuck),
        "poll_seconds": POLL_SECONDS,
        "can_request": can_request,
        # "Prepare my report" when there is none, "Try again" after a failure or a stall.
        "offer_request": can_request and (latest is None or latest.is_failed or stuck),
        "is_owner": is_owner,
    }
