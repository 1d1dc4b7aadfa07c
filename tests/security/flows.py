"""Drive allauth's real sign-in flow with the test client (password step, then MFA step)."""

from __future__ import annotations

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings

from tests.factories import TEST_PASSWORD, TEST_TOTP_SECRET

LOGIN_URL = "/accounts/login/"
MFA_URL = "/accounts/2fa/authenticate/"


def totp_code(secret: str = TEST_TOTP_SECRET, *, at: float | None = None) -> str:
    """The code an authenticator app would show at `at` (default: now, as the app sees it)."""
    counter = int(time.time() if at is None else at) // mfa_settings.TOTP_PERIOD
    return format_hotp_value(hotp_value(secret, counter))


def sign_in_password(client, email: str, password: str = TEST_PASSWORD, **extra):
    """POST the login form; returns the response (a redirect to the MFA step when set up)."""
    return client.post(LOGIN_URL, {"login": email, "password": password}, **extra)


def sign_in_mfa(client, code: str):
    return client.post(MFA_URL, {"code": code})


def sign_in(client, email: str, password: str = TEST_PASSWORD, secret: str = TEST_TOTP_SECRET):
    """Both steps; returns the final response."""
    response = sign_in_password(client, email, password)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"] == MFA_URL, response["Location"]
    return sign_in_mfa(client, totp_code(secret))


def session_cookie(client) -> str | None:
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie.value if cookie else None


def reauthenticate(client, password: str = TEST_PASSWORD):
    """Type the password again (allauth's re-authentication), as before a sensitive action."""
    response = client.post("/accounts/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content[:500]
    return response
