"""Organisation compliance pages. Thin: scoping and figures in selectors, decisions and
audit in services, files in `exports`."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.assessments import selectors as assessment_selectors
from apps.assessments.services import AssessmentError
from apps.compliance import exports, presenters, selectors, services
from apps.compliance.forms import CampaignForm, DetailReasonForm, DisputesReasonForm


def _filters(request, params=None):
    params = request.GET if params is None else params
    try:
        return selectors.filters_for_user(
            user=request.user,
            campaign=params.get("campaign"),
            audience=params.get("audience"),
        ), None
    except ValidationError as exc:
        return selectors.Filters(), "; ".join(exc.messages)


@require_GET
@login_required
@never_cache
def dashboard(request):
    """The org admin's landing page: completion, results by scenario, the plan."""
    selectors.admin_membership_or_404(user=request.user)
    filters, error = _filters(request)
    context = presenters.dashboard_context(user=request.user, filters=filters)
    context["filter_error"] = error
    return render(request, "compliance/dashboard.html", context, status=400 if error else 200)


@require_POST
@login_required
def snapshot(request):
    """Take a snapshot of the organisation's standing now (for the trend)."""
    services.snapshot_take_for_user(user=request.user)
    messages.success(request, "Snapshot taken: the trend now includes today's figures.")
    return redirect("compliance:dashboard")


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def campaign_new(request):
    """Launch a campaign."""
    membership = selectors.admin_membership_or_404(user=request.user)
    form = CampaignForm(request.POST or None, membership=membership)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_launch(actor=request.user, **form.launch_arguments())
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(
                request,
                f"Campaign launched: {campaign.assignments.count()} people asked to complete "
                f"{campaign.pack_title} by {campaign.due_date:%-d %B %Y}.",
            )
            return redirect("compliance:dashboard")
    status = 400 if request.method == "POST" else 200
    return render(request, "compliance/campaign_new.html", {"form": form}, status=status)


@require_GET
@login_required
@never_cache
def members(request):
    """Members with their status, due date and band per scenario."""
    selectors.admin_membership_or_404(user=request.user)
    filters, error = _filters(request)
    context = presenters.members_context(
        user=request.user, filters=filters, page=request.GET.get("page")
    )
    context["filter_error"] = error
    return render(request, "compliance/members.html", context, status=400 if error else 200)


@require_GET
@login_required
@never_cache
def open_detail(request, public_id):
    """Ask why the admin needs one person's answers or report. Shows nothing of them."""
    assessment = selectors.member_assessment_for_admin(user=request.user, public_id=public_id)
    form = DetailReasonForm(initial={"what": request.GET.get("what") or "answers"})
    return render(request, "compliance/open_detail.html", {"form": form, "assessment": assessment})


def _reasoned(request, public_id, *, lookup, form_class, template):
    """The person's assessment and the admin's valid reason form, or the response to send
    instead: a refused lookup is audited and answers 404; an invalid form is shown again
    (400) with nothing of the person."""
    try:
        assessment = lookup(user=request.user, public_id=public_id)
    except Http404:
        services.detail_view_denied(actor=request.user, public_id=public_id)
        raise
    form = form_class(request.POST)
    if not form.is_valid():
        context = {"form": form, "assessment": assessment}
        return assessment, None, render(request, template, context, status=400)
    return assessment, form, None


@require_POST
@login_required
@never_cache
def open_detail_record(request, public_id):
    """Record the reason, then open the answers or the report: the audit event is
    committed before anything about the person is produced."""
    assessment, form, refused = _reasoned(
        request,
        public_id,
        lookup=selectors.member_assessment_for_admin,
        form_class=DetailReasonForm,
        template="compliance/open_detail.html",
    )
    if refused:
        return refused
    reason, what = form.cleaned_data["reason_text"], form.cleaned_data["what"]
    # SECURITY: if the event cannot be written, the exception stops here: nothing is sent.
    services.detail_view_record(actor=request.user, assessment=assessment, what=what, reason=reason)
    if what == "report":
        return presenters.report_file_response(user=request.user, assessment=assessment)
    return render(
        request,
        "compliance/answers.html",
        presenters.answers_context(assessment=assessment, reason=reason),
    )


@require_GET
@login_required
@never_cache
def disputes(request):
    """Who disputes an answer their IT team confirmed (names and counts, no answers)."""
    summaries = assessment_selectors.dispute_summaries_for_admin(user=request.user)
    return render(request, "compliance/disputes.html", {"summaries": summaries})


@require_GET
@login_required
@never_cache
def disputes_open(request, public_id):
    """Ask why the admin needs one person's disputed answers. Shows nothing of them."""
    assessment = assessment_selectors.dispute_assessment_for_admin(
        user=request.user, public_id=public_id
    )
    return render(
        request,
        "compliance/disputes_open.html",
        {"form": DisputesReasonForm(), "assessment": assessment},
    )


@require_POST
@login_required
@never_cache
def disputes_open_record(request, public_id):
    """Record the reason, then show the person's open disputes: the audit event is
    committed before anything about the person is produced."""
    assessment, form, refused = _reasoned(
        request,
        public_id,
        lookup=assessment_selectors.dispute_assessment_for_admin,
        form_class=DisputesReasonForm,
        template="compliance/disputes_open.html",
    )
    if refused:
        return refused
    reason = form.cleaned_data["reason_text"]
    # SECURITY: if the event cannot be written, the exception stops here: nothing is sent.
    services.disputes_view_record(actor=request.user, assessment=assessment, reason=reason)
    return render(
        request,
        "compliance/disputes_detail.html",
        {
            "assessment": assessment,
            "person": assessment.user,
            "reason": reason,
            "rows": assessment_selectors.disputes_for_admin(assessment=assessment),
        },
    )


@require_POST
@login_required
def export(request, kind, fmt):
    """CSV or XLSX of member status, aggregate results or the organisation plan. A POST
    (a button, not a link): every export writes an audit event, and no GET changes
    anything."""
    membership = selectors.admin_membership_or_404(user=request.user)
    if kind not in exports.KINDS or fmt not in exports.FORMATS:
        raise Http404("No such export.")
    filters, error = _filters(request, request.POST)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    table = exports.table_for(kind=kind, user=request.user, filters=filters)
    services.export_record(
        actor=request.user,
        organisation=membership.organisation,
        kind=kind,
        fmt=fmt,
        filters=filters.as_params(),
        rows=len(table.rows),
    )
    payload, content_type = exports.render(table, fmt)
    response = FileResponse(
        payload, as_attachment=True, filename=f"portcullis-{kind}.{fmt}", content_type=content_type
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@login_required
def assignment_start(request, public_id):
    """A member starts (or carries on) the assessment an assignment asks for."""
    assignment = selectors.assignment_get_for_member(user=request.user, public_id=public_id)
    try:
        assessment = services.assignment_start(actor=request.user, assignment=assignment)
    except AssessmentError as exc:
        messages.error(request, str(exc))
        return redirect("home")
    if assessment.is_submitted:
        return redirect("assessments:results", public_id=assessment.public_id)
    return redirect("assessments:resume", public_id=assessment.public_id)


@require_GET
@login_required
@never_cache
def seen_my_answers(request):
    """Who has opened my answers or report, when and why."""
    return render(
        request,
        "compliance/seen_my_answers.html",
        {"views": selectors.detail_views_of_user(user=request.user)},
    )
