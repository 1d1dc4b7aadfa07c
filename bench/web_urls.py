"""The project's URLs plus the benchmark's baseline: a trivial authenticated view."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


@login_required
def trivial(request):
    """Through the same middleware as every page (session, user, MFA check), no work."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench_trivial"), *project_urlpatterns]
