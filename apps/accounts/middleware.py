"""Session lifetime and MFA enforcement, applied before any view runs."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse

from apps.accounts.selectors import user_has_mfa, user_requires_mfa
from apps.core.problems import answers_with_problems, problem_response

SESSION_STARTED_KEY = "portcullis_session_started"
SESSION_LAST_SEEN_KEY = "portcullis_last_seen"
MFA_OK_KEY = "portcullis_mfa_ok"
# How often the last-seen time is written: keeps session writes off most requests, at the
# cost of this much slack in the idle timeout.
LAST_SEEN_RESOLUTION = 60


def session_mark_signed_in(request) -> None:
    """Start the absolute-lifetime clock; called when a login completes."""
    now = int(time.time())
    request.session[SESSION_STARTED_KEY] = now
    request.session[SESSION_LAST_SEEN_KEY] = now


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
                # A session made without our login hook (e.g. a test's force_login).
                request.session[SESSION_STARTED_KEY] = started = now
            if now - started > settings.SESSION_ABSOLUTE_TIMEOUT:
                return self._end(request, "absolute_timeout")
            if last_seen is not None and now - last_seen > settings.SESSION_IDLE_TIMEOUT:
                return self._end(request, "idle_timeout")
            if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
                request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)

    def _end(self, request, reason: str) -> HttpResponse:
        # SECURITY: flush, not just forget the user: the old cookie becomes useless.
        request.portcullis_logout_reason = reason
        logout(request)
        login_url = reverse("account_login")
        if request.method == "GET":
            login_url = f"{login_url}?{urlencode({'next': request.get_full_path()})}"
        if answers_with_problems(request):
            return problem_response(request, 401, "Your session has ended. Sign in again.")
        return _redirect(request, login_url)


# Paths a user who must enrol in MFA may still reach.
MFA_EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/logout/",
    "/accounts/reauthenticate/",
    "/accounts/login/",
    "/accounts/confirm-email/",
    "/static/",
    "/healthz",
    "/readyz",
)


class MFARequiredMiddleware:
    """Send anyone who must have MFA, and has none, to enrolment before any other page.

    Applies to /admin/ too, and to the API when reached with a session (403 there).
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
            if user_has_mfa(user=user):
                # Remembered for the session; allauth's add/remove signals clear it.
                request.session[MFA_OK_KEY] = True
            elif user_requires_mfa(user=user):
                return self._send_to_enrolment(request)
            # Not required and not set up: checked again on every request, so a promotion
            # to org admin or a policy change applies at once.
        return self.get_response(request)

    def _send_to_enrolment(self, request) -> HttpResponse:
        enrol_url = reverse("mfa_index")
        if answers_with_problems(request):
            return problem_response(
                request, 403, "Set up two-factor authentication before using the service."
            )
        return _redirect(request, enrol_url)


def _redirect(request, url: str) -> HttpResponse:
    """A redirect the browser follows as a page, also when htmx made the request."""
    if request.headers.get("HX-Request"):
        # htmx would follow a 302 itself and swap the sign-in page into a fragment.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def forget_mfa_check(request) -> None:
    """Make the next request re-check MFA (after an authenticator is added or removed)."""
    if request is not None and hasattr(request, "session"):
        request.session.pop(MFA_OK_KEY, None)
