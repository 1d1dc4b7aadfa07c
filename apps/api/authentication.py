"""`Authorization: Bearer <key>` for organisation API keys.

# SECURITY: a key request never touches cookies: a request that sends a key is judged by
# the key alone (a bad key is 401, even with a valid session beside it), so cross-site
# requests cannot borrow a browser's session through it and key holders get no CSRF
# exemption for a session. Session requests go through DRF's SessionAuthentication, which
# enforces CSRF on unsafe methods.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from apps.api.principal import ApiKeyActor
from apps.api.services import KeyRefused, api_key_authenticate


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        parts = header.split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid API key.") from exc
        try:
            key = api_key_authenticate(raw_key)
        except KeyRefused as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return ApiKeyActor(key=key), key

    def authenticate_header(self, request):
        return f'{self.keyword} realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session authentication (CSRF enforced on unsafe methods), standing aside when
    the request carries a key so that a bad key is never rescued by a cookie."""

    def authenticate(self, request):
        if authentication.get_authorization_header(request):
            return None
        return super().authenticate(request)

    def enforce_csrf(self, request):
        # Checked on Django's own request: the check must not depend on the API's parsers
        # (a form-encoded POST without a token is a CSRF refusal, not a 415).
        return super().enforce_csrf(request._request)
