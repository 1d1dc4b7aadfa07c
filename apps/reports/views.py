"""Report pages and downloads. Thin: scoping in selectors, decisions and audit in services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.reports import selectors, services
from apps.reports.presenters import status_context


def _status_response(request, assessment, status=200):
    context = status_context(user=request.user, assessment=assessment)
    template = "reports/_status.html" if request.htmx else "reports/status.html"
    return render(request, template, context, status=status)


@require_GET
@login_required
@never_cache
def status(request, public_id):
    """The report status of one assessment: a full page, or the fragment htmx polls."""
    assessment = selectors.report_assessment_get_for_user(user=request.user, public_id=public_id)
    return _status_response(request, assessment)


@require_GET
@login_required
@never_cache
def detail(request, public_id):
    """One report (the link in notifications when there is no results page)."""
    report = selectors.report_get_for_user(user=request.user, public_id=public_id)
    return _status_response(request, report.assessment)


@require_POST
@login_required
def request_report(request, public_id):
    """The person asks for their report (again): "try again" after a failure."""
    assessment = selectors.report_assessment_get_for_user(user=request.user, public_id=public_id)
    try:
        services.report_request(actor=request.user, assessment=assessment)
    except services.ReportError as exc:
        if request.htmx:
            return _status_response(request, assessment, status=400)
        messages.error(request, str(exc))
    if request.htmx:
        return _status_response(request, assessment)
    return redirect("reports:status", public_id=assessment.public_id)


def _download(request, public_id, kind: str):
    download = services.report_download(actor=request.user, public_id=public_id, kind=kind)
    response = FileResponse(
        download.file,
        as_attachment=True,
        filename=download.filename,
        content_type=download.content_type,
    )
    # SECURITY: never cached anywhere, never sniffed into something else, never framed.
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'; sandbox"
    return response


@require_GET
@login_required
def download_pdf(request, public_id):
    return _download(request, public_id, "pdf")


@require_GET
@login_required
def download_html(request, public_id):
    return _download(request, public_id, "html")


@require_GET
@login_required
@never_cache
def organisation(request):
    """An org admin's reports page: where their organisation's reports stand, and
    "regenerate all"."""
    overview = selectors.report_overview_for_org_admin(user=request.user)
    return render(request, "reports/organisation.html", {"overview": overview})


@require_POST
@login_required
def regenerate(request):
    """An org admin regenerates every report of their own organisation (no id in the URL:
    there is no other organisation to name)."""
    organisation = selectors.report_overview_for_org_admin(user=request.user)["organisation"]
    result = services.report_regenerate_for_organisation(
        actor=request.user, organisation=organisation
    )
    messages.success(
        request,
        f"{result.queued} report{'s' if result.queued != 1 else ''} queued for "
        f"{result.assessments} submitted assessment{'s' if result.assessments != 1 else ''}; "
        "the others were already up to date.",
    )
    return redirect("reports:organisation")
