"""The project's URLs plus the API benchmark's baseline: a trivial DRF endpoint that goes
through the same authentication (the key's HMAC lookup), permission, throttling and
per-request audit event as every /api/v1/ route, and does no work."""

from django.urls import path
from rest_framework.response import Response

from apps.api.permissions import ANY_SCOPE
from apps.api.views import ApiView
from config.urls import urlpatterns as project_urlpatterns


class Trivial(ApiView):
    key_scopes = {"GET": ANY_SCOPE}

    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/api-trivial/", Trivial.as_view()), *project_urlpatterns]
