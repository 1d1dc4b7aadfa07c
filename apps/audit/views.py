"""The audit viewer: read-only, filterable, with a CSV export. Org admins see their
organisation's events; platform staff see every event."""

from __future__ import annotations

import csv

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.accounts.selectors import membership_for_user
from apps.audit import selectors
from apps.audit.forms import AuditFilterForm
from apps.audit.services import audit_record

PAGE_SIZE = 50


def _viewer_scope(request):
    """The organisation an org admin reads (None for staff, who read all); 403 otherwise."""
    if request.user.is_staff:
        return None
    membership = membership_for_user(user=request.user)
    if membership is None or not membership.is_org_admin:
        raise PermissionDenied("Only organisation admins and platform staff can read the audit.")
    return membership.organisation


def _filtered(request):
    organisation = _viewer_scope(request)
    actions = selectors.audit_action_choices_for_user(user=request.user, organisation=organisation)
    form = AuditFilterForm(request.GET or None, actions=actions)
    filters = selectors.AuditFilters()
    if form.is_bound and form.is_valid():
        filters = selectors.AuditFilters(**form.cleaned_data)
    events = selectors.audit_event_list_for_user(
        user=request.user, organisation=organisation, filters=filters
    )
    if form.is_bound and not form.is_valid():
        events = events.none()
    return organisation, form, events


@require_GET
@login_required
@never_cache
def event_list(request):
    organisation, form, events = _filtered(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "audit/event_list.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
    )


@require_GET
@login_required
@reauthentication_required
@never_cache
def event_export(request):
    organisation, form, events = _filtered(request)
    rows = selectors.audit_csv_rows(events)
    audit_record(
        actor=request.user,
        action="audit.exported",
        organisation=organisation,
        detail={"rows": len(rows), "filters": request.GET.dict()},
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="portcullis-audit-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    writer = csv.writer(response)
    writer.writerow(selectors.CSV_HEADER)
    writer.writerows(rows)
    return response
