"""CSRF on every state-changing form; no GET changes state (SECURITY_TESTS 6)."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Invitation, Membership, User
from apps.accounts.selectors import invitation_token_for
from apps.audit.models import AuditEvent
from tests.factories import InvitationFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _state():
    """Everything a forged request could change, in one comparable value."""
    return (
        list(Invitation.objects.values_list("pk", "accepted_at", "revoked_at")),
        list(Membership.objects.values_list("pk", "role")),
        list(User.objects.values_list("pk", "is_active", "password")),
        list(Authenticator.objects.values_list("pk", "type")),
        Session.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def invitation(org_a, bob):
    return InvitationFactory(organisation=org_a, invited_by=bob, email="new@example.org")


def _admin_targets(alice, invitation):
    membership = alice.membership
    return [
        ("/accounts/logout/", {}),
        (
            reverse("accounts:member_invite"),
            {"email": "x@example.org", "full_name": "X", "role": "member", "audience": "staff"},
        ),
        (reverse("accounts:invitation_revoke", args=[invitation.public_id]), {}),
        (
            reverse("accounts:member_change_role", args=[membership.public_id]),
            {"role": "org_admin"},
        ),
        (reverse("accounts:member_deactivate", args=[membership.public_id]), {}),
        (reverse("mfa_deactivate_totp"), {}),
        (reverse("mfa_generate_recovery_codes"), {}),
        (reverse("mfa_add_webauthn"), {"name": "key", "credential": "{}"}),
    ]


def test_state_changing_posts_without_a_token_are_refused(csrf_client, bob, alice, invitation):
    csrf_client.force_login(bob)
    before = _state()

    for url, data in _admin_targets(alice, invitation):
        response = csrf_client.post(url, data)
        assert response.status_code == 403, url

    assert _state() == before


def test_mfa_enrolment_post_without_a_token_is_refused(csrf_client, org_a):
    newcomer = UserFactory(email="newcomer@example.org", with_mfa=False)
    MembershipFactory(user=newcomer, organisation=org_a)
    csrf_client.force_login(newcomer)
    before = _state()

    response = csrf_client.post(reverse("mfa_activate_totp"), {"code": "123456"})

    assert response.status_code == 403
    assert _state() == before


def test_anonymous_forms_without_a_token_are_refused(csrf_client, alice, invitation):
    before = _state()
    token = invitation_token_for(invitation)
    targets = [
        (reverse("account_login"), {"login": "alice@example.org", "password": "x"}),
        (reverse("account_reset_password"), {"email": "alice@example.org"}),
        (
            reverse("accounts:invitation_accept", args=[token]),
            {
                "full_name": "New",
                "password1": "a long passphrase 1",
                "password2": "a long passphrase 1",
            },
        ),
    ]
    for url, data in targets:
        assert csrf_client.post(url, data).status_code == 403, url
    assert _state() == before


def test_no_get_changes_state(client, bob, alice, invitation):
    client.force_login(bob)
    client.get("/")  # let the session settle (MFA check, last seen) before comparing
    before = _state()
    urls = [url for url, _ in _admin_targets(alice, invitation)] + [
        reverse("accounts:member_list"),
        reverse("accounts:member_detail", args=[alice.membership.public_id]),
        reverse("mfa_index"),
        reverse("mfa_view_recovery_codes"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 404, 405), url

    assert _state() == before
    # Opening the invitation link (anonymous) shows a form and creates nothing.
    anonymous = Client()
    page = anonymous.get(
        reverse("accounts:invitation_accept", args=[invitation_token_for(invitation)])
    )
    assert page.status_code == 200
    assert _state() == before
