"""Your data: download everything held about you, or close your account. Thin views."""

from __future__ import annotations

import json

from allauth.account.decorators import reauthentication_required
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.privacy import services
from apps.privacy.forms import CloseAccountForm


@require_GET
@login_required
@never_cache
def your_data(request):
    return render(request, "privacy/your_data.html", {"form": CloseAccountForm()})


@require_POST
@login_required
@reauthentication_required
@never_cache
def export(request):
    data = services.personal_data_export(actor=request.user)
    body = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="portcullis-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def close_account(request):
    form = CloseAccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_close(actor=request.user, password=form.cleaned_data["password"])
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            # Not logout(): its signal would record an event for a person who no longer
            # exists. The account's sessions are gone already; this one is emptied too.
            request.session.flush()
            request.user = AnonymousUser()
            return redirect("privacy:closed")
    status = 400 if request.method == "POST" else 200
    return render(request, "privacy/close_account.html", {"form": form}, status=status)


@require_GET
def closed(request):
    return render(request, "privacy/closed.html")
