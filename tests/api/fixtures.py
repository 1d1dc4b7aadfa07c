"""API personas (a plugin of the whole suite, see tests/conftest.py): an organisation API key per organisation (key_a for org A issued by bob,
key_b for org B issued by dave), with every scope unless a test asks for fewer, and
`api(key)` / `api_session(user)` clients."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.api.models import Scope
from apps.api.services import api_key_issue

ALL_SCOPES = list(Scope.values)


@pytest.fixture
def issue_key():
    def _issue(admin, *, scopes=None, name="Test key", days=90):
        key, raw = api_key_issue(
            actor=admin,
            organisation=admin.membership.organisation,
            name=name,
            scopes=scopes or ALL_SCOPES,
            expires_at=timezone.now() + timedelta(days=days),
        )
        return raw

    return _issue


@pytest.fixture
def key_a(bob, issue_key):
    return issue_key(bob, name="Org A sync")


@pytest.fixture
def key_b(dave, issue_key):
    return issue_key(dave, name="Org B sync")


@pytest.fixture
def api():
    """`api(raw_key)`: a client that sends the key (and no cookies)."""

    def _client(raw_key):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
        return client

    return _client


@pytest.fixture
def api_session():
    """`api_session(user)`: a client signed in as `user`, CSRF checks enforced."""

    def _client(user):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(user)
        session = client.session
        from apps.accounts.middleware import MFA_OK_KEY

        session[MFA_OK_KEY] = True
        session.save()
        return client

    return _client
