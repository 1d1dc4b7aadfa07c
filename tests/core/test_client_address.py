"""One definition of the client's address (apps/core/client_address.py)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from apps.core.client_address import client_ip


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "10.0.0.1"),  # no trusted proxy: the header is never read
        (1, "203.0.113.5", "203.0.113.5"),  # what nginx sends
        (1, "198.51.100.7, 203.0.113.5", "203.0.113.5"),  # a forged entry is ignored
        (2, "198.51.100.7, 203.0.113.5, 192.0.2.9", "203.0.113.5"),  # two proxies
        (2, "203.0.113.5", "10.0.0.1"),  # fewer entries than proxies: not through them all
        (1, None, "10.0.0.1"),  # straight to the app server
        (1, "not an address", "10.0.0.1"),
        (1, "[2001:db8::1]:443", "2001:db8::1"),
        (1, "203.0.113.5:51000", "203.0.113.5"),
    ],
)
def test_the_client_is_counted_from_the_right_of_the_trusted_proxies(
    settings, count, forwarded, expected
):
    settings.TRUSTED_PROXY_COUNT = count

    assert client_ip(_request(forwarded=forwarded)) == expected


@pytest.mark.django_db
def test_audit_rows_axes_and_allauth_see_the_same_address(settings, client, alice):
    from axes.models import AccessAttempt

    from apps.audit.models import AuditEvent

    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        "/accounts/login/",
        {"login": "alice@example.org", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="198.51.100.7, 203.0.113.5",
    )

    assert AuditEvent.objects.get(action="login.failed").ip_address == "203.0.113.5"
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"
