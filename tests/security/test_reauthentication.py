"""Re-authentication before sensitive changes (SECURITY_TESTS 14).

Changing email and adding or removing a second factor are allauth's flows; exporting data
and the audit CSV are tested in test_data_rights.py and test_audit_viewer.py; issuing an
API key belongs to the API (issue 11) and is tested with it.
"""

from __future__ import annotations

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories import MembershipFactory, UserFactory
from tests.security.flows import reauthenticate, sign_in, sign_in_password

pytestmark = pytest.mark.django_db

SIGNED_IN_AT = 1_800_000_010
LATER = SIGNED_IN_AT + 301  # ACCOUNT_REAUTHENTICATION_TIMEOUT has passed, the session lives


def _signed_in_a_while_ago(client, email):
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        sign_in(client, email)


def test_changing_email_needs_a_recent_sign_in(client, org_a):
    # allauth refuses new addresses outright on accounts with a second factor; someone
    # without one (their organisation does not require it) must type the password again.
    org_a.mfa_required_for_members = False
    org_a.save()
    person = UserFactory(email="relaxed@example.org", with_mfa=False)
    MembershipFactory(user=person, organisation=org_a)
    with time_machine.travel(SIGNED_IN_AT, tick=False):
        assert sign_in_password(client, "relaxed@example.org")["Location"] == "/"

    with time_machine.travel(LATER, tick=False):
        response = client.post(
            reverse("account_email"), {"action_add": "", "email": "attacker@example.net"}
        )
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
        assert not EmailAddress.objects.filter(email="attacker@example.net").exists()

        reauthenticate(client)
        client.post(reverse("account_email"), {"action_add": "", "email": "new@example.net"})
    assert EmailAddress.objects.filter(user=person, email="new@example.net").exists()


def test_removing_a_second_factor_needs_a_recent_sign_in(client, alice):
    _signed_in_a_while_ago(client, "alice@example.org")
    with time_machine.travel(LATER, tick=False):
        response = client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()


def test_adding_a_security_key_needs_a_recent_sign_in(client, alice):
    _signed_in_a_while_ago(client, "alice@example.org")
    with time_machine.travel(LATER, tick=False):
        response = client.get(reverse("mfa_add_webauthn"))

    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
