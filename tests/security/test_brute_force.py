"""Lockout and rate limits on sign-in (SECURITY_TESTS 15, 16)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditEvent
from tests.security.flows import LOGIN_URL, MFA_URL, sign_in_password

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT


def _fail(client, email, times, **extra):
    return [sign_in_password(client, email, "wrong password", **extra) for _ in range(times)]


def test_after_n_failures_even_the_right_password_is_refused(client, alice):
    responses = _fail(client, "alice@example.org", LIMIT)

    assert [r.status_code for r in responses[:-1]] == [200] * (LIMIT - 1)
    assert responses[-1].status_code == 429
    right = sign_in_password(client, "alice@example.org")

    assert right.status_code == 429
    assert "Too many failed attempts" in right.content.decode()
    assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_the_lockout_is_recorded(client, alice):
    _fail(client, "alice@example.org", LIMIT)
    sign_in_password(client, "alice@example.org")

    attempt = AccessAttempt.objects.get(username="alice@example.org", ip_address="127.0.0.1")
    assert attempt.failures_since_start >= LIMIT
    assert AuditEvent.objects.filter(action="login.failed").count() == LIMIT + 1
    assert AuditEvent.objects.filter(
        action="login.locked_out", detail__login="alice@example.org"
    ).exists()


def test_unknown_and_known_accounts_are_locked_out_alike(alice):
    known = _fail(Client(REMOTE_ADDR="203.0.113.1"), "alice@example.org", LIMIT + 1)
    unknown = _fail(Client(REMOTE_ADDR="203.0.113.2"), "nobody@example.org", LIMIT + 1)

    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert [r.status_code for r in known][-2:] == [429, 429]
    assert known[-1].content == unknown[-1].content


def test_the_lockout_is_per_account_and_address(client, alice, carol):
    _fail(client, "alice@example.org", LIMIT)

    # Another account from the same address, and the same account from elsewhere, go on.
    assert sign_in_password(client, "carol@example.org")["Location"] == MFA_URL
    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_in_password(elsewhere, "alice@example.org")["Location"] == MFA_URL


def test_the_address_case_does_not_give_extra_attempts(client, alice):
    _fail(client, "Alice@Example.org", LIMIT)

    assert sign_in_password(client, "alice@example.org").status_code == 429


def test_the_right_password_works_again_after_the_cool_off(client, alice):
    _fail(client, "alice@example.org", LIMIT)
    assert sign_in_password(client, "alice@example.org").status_code == 429

    later = timezone.now() + settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        assert sign_in_password(client, "alice@example.org")["Location"] == MFA_URL


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(client, alice):
    _fail(client, "alice@example.org", LIMIT)

    forged = sign_in_password(client, "alice@example.org", HTTP_X_FORWARDED_FOR="198.51.100.7")

    assert forged.status_code == 429


def test_many_usernames_from_one_address_get_429(client, db):
    limit = 30  # ACCOUNT_RATE_LIMITS["login"] = "30/m/ip"
    statuses = [
        sign_in_password(client, f"guess{n}@example.org", "password123").status_code
        for n in range(limit + 1)
    ]

    assert 429 not in statuses[:limit]
    assert statuses[limit] == 429
    # A forged X-Forwarded-For does not buy a fresh allowance.
    forged = sign_in_password(
        client, "guess99@example.org", "password123", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert forged.status_code == 429
