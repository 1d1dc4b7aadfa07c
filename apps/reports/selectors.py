"""Reads of remediation reports, always scoped to the requester.

Who may read a report: the person assessed, and the admins of that person's organisation.
Everyone else, colleagues included, gets 404 and learns nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from apps.accounts.selectors import membership_for_user
from apps.assessments.models import Assessment
from apps.reports.models import RemediationReport


def _assessment_scope(*, user) -> Q | None:
    """The assessments `user` may see reports of, as a filter; None for nobody's."""
    if not getattr(user, "is_authenticated", False):
        return None
    scope = Q(user_id=user.pk)
    membership = membership_for_user(user=user)
    if membership is not None and membership.is_org_admin:
        scope |= Q(organisation_id=membership.organisation_id)
    return scope


def report_assessment_get_for_user(*, user, public_id) -> Assessment:
    """An assessment whose reports `user` may see (their own, or their organisation's for an
    org admin); 404 otherwise."""
    scope = _assessment_scope(user=user)
    if scope is None:
        raise Http404("No such assessment.")
    try:
        return Assessment.objects.select_related("user", "organisation", "pack").get(
            scope, public_id=public_id
        )
    except (Assessment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such assessment.") from exc


def report_list_for_user(*, user) -> QuerySet[RemediationReport]:
    """Every report `user` may see, newest first."""
    scope = _assessment_scope(user=user)
    if scope is None:
        return RemediationReport.objects.none()
    return RemediationReport.objects.filter(
        assessment__in=Assessment.objects.filter(scope)
    ).select_related("assessment__user", "assessment__organisation", "assessment__pack")


def report_get_for_user(*, user, public_id) -> RemediationReport:
    """One report `user` may see; 404 for anyone else's (other people, other organisations)."""
    try:
        return report_list_for_user(user=user).get(public_id=public_id)
    except (RemediationReport.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such report.") from exc


def report_list_for_assessment(*, assessment: Assessment) -> QuerySet[RemediationReport]:
    """The reports of one assessment, newest first. The caller has already scoped the
    assessment (e.g. through `report_assessment_get_for_user`)."""
    return RemediationReport.objects.filter(assessment=assessment).order_by("-created_at", "-id")


def report_latest_ready_for_assessment(*, assessment: Assessment) -> RemediationReport | None:
    """The newest report that can be downloaded, whatever happened to later renders."""
    return (
        report_list_for_assessment(assessment=assessment)
        .filter(status=RemediationReport.Status.READY)
        .first()
    )


def report_status_for_assessment(*, assessment: Assessment) -> dict:
    """What the status fragment shows: the newest report and the newest ready one."""
    latest = report_list_for_assessment(assessment=assessment).first()
    ready = latest if latest is not None and latest.is_ready else None
    if ready is None:
        ready = report_latest_ready_for_assessment(assessment=assessment)
    return {"latest": latest, "ready": ready}


@dataclass(frozen=True)
class OrganisationReportRow:
    assessment: Assessment
    latest: RemediationReport | None  # the newest report, whatever its status
    ready: RemediationReport | None  # the newest ready one (what can be downloaded)

    @property
    def state(self) -> str:
        """none, queued, running, ready or failed: where this assessment's report stands."""
        return self.latest.status if self.latest is not None else "none"


def report_overview_for_org_admin(*, user) -> dict:
    """An org admin's organisation, each submitted assessment with its report, and counts
    by assessment (not by report row: a regenerated report replaces, it does not add).

    Three queries whatever the size: membership, assessments, their reports. 404 for anyone
    but an org admin.
    """
    membership = membership_for_user(user=user)
    if membership is None or not membership.is_org_admin:
        raise Http404("No such page.")
    organisation = membership.organisation
    assessments = (
        Assessment.objects.filter(organisation=organisation, status=Assessment.Status.SUBMITTED)
        .select_related("user", "pack")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=RemediationReport.objects.order_by("-created_at", "-id"),
                to_attr="reports_newest_first",
            )
        )
        .order_by("-submitted_at", "-id")
    )
    rows = []
    for assessment in assessments:
        reports = assessment.reports_newest_first
        rows.append(
            OrganisationReportRow(
                assessment=assessment,
                latest=reports[0] if reports else None,
                ready=next((r for r in reports if r.is_ready), None),
            )
        )
    states = Counter(row.state for row in rows)
    return {
        "organisation": organisation,
        "rows": rows,
        "submitted": len(rows),
        "ready": sum(1 for row in rows if row.ready is not None),
        "pending": states["queued"] + states["running"] + states["none"],
        "failed": states["failed"],
    }
