"""Session lifetime and MFA enforcement, applied before any view runs."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from apps.accounts.selectors import user_has_mfa, user_requires_mfa

SESSION_STARTED_KEY = "portcullis_session_started"
SESSION_LAST_SEEN_KEY = "portcullis_last_seen"
MFA_OK_KEY = "portcullis_mfa_ok"


class SessionLifetimeMiddleware:
    """End a session after SESSION_IDLE_TIMEOUT of inactivity or SESSION_ABSOLUTE_TIMEOUT overall."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            started = request.session.get(SESSION_STARTED_KEY)
            last_seen = request.session.get(SESSION_LAST_SEEN_KEY)
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
                started = now
            expired = (now - started > settings.SESSION_ABSOLUTE_TIMEOUT) or (
                last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT
            )
            if expired:
                # SECURITY: flush, not just forget the user: the old cookie becomes useless.
                logout(request)
                return redirect(f"{reverse('account_login')}?next={request.path}")
            # Writing last_seen at most once a minute keeps session writes off the hot path.
            if last_seen is None or now - last_seen >= 60:
                request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


# Paths a user who must enrol in MFA may still reach.
MFA_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/login/",
    "/static/",
    "/healthz",
    "/readyz",
)


class MFARequiredMiddleware:
    """Send anyone who must have MFA, and has none, to enrolment before any other page.

    Applies to /admin/ too, and to the API when reached with a session.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not request.session.get(MFA_OK_KEY)
        ):
            if user_requires_mfa(user=user) and not user_has_mfa(user=user):
                return redirect(reverse("mfa_activate_totp"))
            # Cache the positive answer for this session; enrolment changes re-check
            # because allauth cycles the session on MFA changes.
            if user_has_mfa(user=user) or not user_requires_mfa(user=user):
                request.session[MFA_OK_KEY] = True
        return self.get_response(request)


def forget_mfa_check(request) -> None:
    """Make the next request re-check MFA (after an authenticator is added or removed)."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(MFA_OK_KEY, None)
