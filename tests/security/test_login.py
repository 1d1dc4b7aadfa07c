"""Signing in and out, enumeration, session fixation (SECURITY_TESTS 8, 9, 15-part)."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from tests.security.flows import (
    LOGIN_URL,
    MFA_URL,
    session_cookie,
    sign_in,
    sign_in_mfa,
    sign_in_password,
    totp_code,
)

pytestmark = pytest.mark.django_db

GENERIC_LOGIN_ERROR = "The email address and/or password you specified are not correct."


def _session_exists(key: str | None) -> bool:
    return bool(key) and Session.objects.filter(session_key=key).exists()


def test_a_person_signs_in_with_password_and_code_and_reaches_their_home(client, alice):
    response = sign_in(client, "alice@example.org")

    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Alice Member MP" in home.content.decode()


def test_the_password_alone_does_not_sign_in_a_person_with_mfa(client, alice):
    response = sign_in_password(client, "alice@example.org")

    assert response["Location"] == MFA_URL
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_a_wrong_code_keeps_the_person_out(client, alice):
    sign_in_password(client, "alice@example.org")
    wrong = "000000" if totp_code() != "000000" else "111111"

    response = sign_in_mfa(client, wrong)

    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_unknown_and_known_accounts_get_the_same_answer_at_login(client, alice):
    known = sign_in_password(client, "alice@example.org", "not the password")
    unknown = sign_in_password(client, "nobody@example.org", "not the password")

    assert known.status_code == unknown.status_code == 200
    assert GENERIC_LOGIN_ERROR in known.content.decode()
    assert GENERIC_LOGIN_ERROR in unknown.content.decode()


def test_password_reset_answers_alike_for_known_and_unknown_addresses(client, alice):
    known = client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    # Only the real account gets an email; nothing reveals the difference on screen.
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_session_key_changes_at_the_password_step_and_again_after_mfa(client, alice):
    # A session planted before sign-in (what a session-fixation attacker would hold).
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["planted"] = True
    store.create()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    planted = store.session_key

    sign_in_password(client, "alice@example.org")
    after_password = session_cookie(client)
    assert after_password and after_password != planted
    assert not _session_exists(planted)

    sign_in_mfa(client, totp_code())
    after_mfa = session_cookie(client)
    assert after_mfa and after_mfa not in (planted, after_password)
    assert not _session_exists(after_password)

    # The keys held before are useless: neither signs anyone in.
    for old in (planted, after_password):
        other = Client()
        other.cookies[settings.SESSION_COOKIE_NAME] = old
        assert other.get("/")["Location"].startswith(LOGIN_URL)


def test_logout_makes_the_old_cookie_useless(client, alice):
    sign_in(client, "alice@example.org")
    old_cookie = session_cookie(client)
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not _session_exists(old_cookie)
    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = old_cookie
    assert replay.get("/")["Location"].startswith(LOGIN_URL)


def test_logout_by_get_only_asks_for_confirmation(client, alice):
    sign_in(client, "alice@example.org")

    response = client.get("/accounts/logout/")

    assert response.status_code == 200
    assert client.get("/").status_code == 200  # still signed in


def test_a_deactivated_person_cannot_sign_in(client, alice):
    alice.is_active = False
    alice.save()

    response = sign_in_password(client, "alice@example.org")

    assert response.status_code in (200, 302)
    assert client.get("/")["Location"].startswith(LOGIN_URL)
