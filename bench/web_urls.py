"""The project's URLs plus the benchmark's baseline: a trivial authenticated view."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


@login_required
def trivial(request):
    """Through the same middleware as every page (session, user, MFA check), no work."""
    return HttpResponse("ok", content_type="text/plain")


@login_required
def organisation_plan(request):
    """The organisation plan alone, as the API will serve it: the selector, as JSON."""
    from apps.compliance.selectors import organisation_plan_for_user

    return JsonResponse(organisation_plan_for_user(user=request.user))


urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    path("bench/organisation-plan/", organisation_plan, name="bench_organisation_plan"),
    *project_urlpatterns,
]
