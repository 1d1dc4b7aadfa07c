from __future__ import annotations

import re
import uuid

from apps.core.client_address import client_ip
from apps.core.request_context import RequestMeta, reset_request_meta, set_request_meta

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give every request an id (echoed in X-Request-ID) and expose it to audit events."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # SECURITY: the client's address as the trusted proxies report it (client_ip), so
        # audit rows name the person's address, not the proxy's; a forged X-Forwarded-For
        # from the client is ignored.
        token = set_request_meta(RequestMeta(ip_address=client_ip(request), request_id=request_id))
        try:
            response = self.get_response(request)
        finally:
            reset_request_meta(token)
        response["X-Request-ID"] = request_id
        return response


class NoStoreForAuthenticatedMiddleware:
    """Pages shown to a signed-in person may carry their answers: never cache them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            response["Cache-Control"] = "no-store"
        return response


class PermissionsPolicyMiddleware:
    """Send settings.PERMISSIONS_POLICY: no camera, microphone, geolocation... for anyone;
    WebAuthn (security keys) for this origin only."""

    def __init__(self, get_response):
        from django.conf import settings

        self.policy = settings.PERMISSIONS_POLICY
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", self.policy)
        return response
