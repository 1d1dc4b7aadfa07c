"""Session timeouts and the end of sessions (SECURITY_TESTS 9, 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from apps.accounts.services import user_deactivate
from apps.audit.models import AuditEvent
from tests.security.flows import LOGIN_URL, session_cookie, sign_in

pytestmark = pytest.mark.django_db

IDLE = timedelta(seconds=settings.SESSION_IDLE_TIMEOUT)
ABSOLUTE = timedelta(seconds=settings.SESSION_ABSOLUTE_TIMEOUT)


def _signed_in_at(client, start, email="alice@example.org"):
    with time_machine.travel(start, tick=False):
        sign_in(client, email)
        assert client.get("/").status_code == 200
    return session_cookie(client)


def test_an_idle_session_ends_and_the_person_must_sign_in_again(client, alice):
    start = timezone.now()
    cookie = _signed_in_at(client, start)

    with time_machine.travel(start + IDLE - timedelta(minutes=2), tick=False):
        assert client.get("/").status_code == 200  # still inside the idle window
    with time_machine.travel(start + 2 * IDLE, tick=False):
        response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    assert not Session.objects.filter(session_key=cookie).exists()
    assert AuditEvent.objects.filter(action="session.expired", detail__reason="idle_timeout")


def test_an_active_session_still_ends_at_the_absolute_lifetime(client, alice):
    start = timezone.now()
    cookie = _signed_in_at(client, start)

    # Active every 20 minutes, never idle for long...
    moment = start
    while moment + timedelta(minutes=20) < start + ABSOLUTE:
        moment += timedelta(minutes=20)
        with time_machine.travel(moment, tick=False):
            assert client.get("/").status_code == 200
    # ...and still signed out once the absolute lifetime has passed.
    with time_machine.travel(start + ABSOLUTE + timedelta(minutes=1), tick=False):
        response = client.get("/")

    assert response["Location"].startswith(LOGIN_URL)
    assert not Session.objects.filter(session_key=cookie).exists()
    assert AuditEvent.objects.filter(action="session.expired", detail__reason="absolute_timeout")


def test_the_expired_cookie_is_useless_afterwards(client, alice):
    start = timezone.now()
    cookie = _signed_in_at(client, start)
    with time_machine.travel(start + 2 * IDLE, tick=False):
        client.get("/")

        replay = Client()
        replay.cookies[settings.SESSION_COOKIE_NAME] = cookie
        assert replay.get("/")["Location"].startswith(LOGIN_URL)


def test_deactivating_a_person_ends_all_their_sessions(bob, alice, carol):
    laptop, phone, carols = Client(), Client(), Client()
    now = timezone.now()
    # One TOTP window apart: the same code is never accepted twice.
    with time_machine.travel(now - timedelta(seconds=60), tick=False):
        sign_in(laptop, "alice@example.org")
    with time_machine.travel(now - timedelta(seconds=30), tick=False):
        sign_in(phone, "alice@example.org")
    sign_in(carols, "carol@example.org")
    assert laptop.get("/").status_code == phone.get("/").status_code == 200

    ended = user_deactivate(actor=bob, user=alice)

    assert ended == 2
    assert laptop.get("/")["Location"].startswith(LOGIN_URL)
    assert phone.get("/")["Location"].startswith(LOGIN_URL)
    assert carols.get("/").status_code == 200  # nobody else is touched
    alice.refresh_from_db()
    assert not alice.is_active
    event = AuditEvent.objects.get(action="user.deactivated")
    assert (event.actor, event.subject, event.detail) == (bob, alice, {"sessions_ended": 2})


def test_only_an_admin_of_their_organisation_can_deactivate_someone(alice, carol, dave):
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=carol, user=alice)  # a member
    with pytest.raises(PermissionDenied):
        user_deactivate(actor=dave, user=alice)  # another organisation's admin
    with pytest.raises(ValidationError):
        user_deactivate(actor=alice, user=alice)
    alice.refresh_from_db()
    assert alice.is_active
    assert not AuditEvent.objects.filter(action="user.deactivated").exists()


def test_an_htmx_request_on_an_expired_session_redirects_the_whole_page(client, alice):
    start = timezone.now()
    _signed_in_at(client, start)

    with time_machine.travel(start + 2 * IDLE, tick=False):
        response = client.post("/", HTTP_HX_REQUEST="true")

    assert response.status_code == 204
    assert response["HX-Redirect"] == LOGIN_URL
