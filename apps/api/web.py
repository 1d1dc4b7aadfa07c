"""Browser pages where an org admin issues and revokes the organisation's API keys.

# SECURITY: issuing needs a fresh re-authentication (allauth's reauthentication, the
# same as for changing a second factor); the key is shown once, in the response to the
# POST that created it, and never stored or shown again.
"""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.views import org_admin_required
from apps.api import services
from apps.api.forms import IssueKeyForm
from apps.api.models import ApiKey


def _key_list(membership):
    return ApiKey.objects.filter(organisation_id=membership.organisation_id).select_related(
        "created_by"
    )


@org_admin_required
@require_http_methods(["GET"])
def key_list(request):
    return render(
        request,
        "api/key_list.html",
        {"organisation": request.membership.organisation, "keys": _key_list(request.membership)},
    )


@org_admin_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def key_issue(request):
    form = IssueKeyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw_key = services.api_key_issue(
                actor=request.user,
                organisation=request.membership.organisation,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = "expires_on" if field == "expires_at" else field
                form.add_error(target if target in form.fields else None, errors)
        else:
            response = render(
                request,
                "api/key_issued.html",
                {"key": key, "raw_key": raw_key, "site_url": settings.SITE_URL},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "api/key_issue.html",
        {"form": form, "organisation": request.membership.organisation},
        status=400 if form.errors else 200,
    )


@org_admin_required
@require_POST
def key_revoke(request, public_id):
    try:
        key = _key_list(request.membership).get(public_id=public_id)
    except ApiKey.DoesNotExist as exc:
        raise Http404("No such key.") from exc
    services.api_key_revoke(actor=request.user, key=key)
    messages.success(request, f"The key “{key.name}” no longer works.")
    return redirect("api_keys:list")
