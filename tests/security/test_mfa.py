"""MFA enforcement, one way in, one-time codes (SECURITY_TESTS 11, 12, 13)."""

from __future__ import annotations

import re

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core import mail
from django.urls import reverse

from apps.accounts.models import Membership
from apps.audit.models import AuditEvent
from tests.factories import TEST_TOTP_SECRET, MembershipFactory, UserFactory
from tests.security.flows import (
    LOGIN_URL,
    MFA_URL,
    sign_in,
    sign_in_mfa,
    sign_in_password,
    totp_code,
)

pytestmark = pytest.mark.django_db

ENROLMENT = "/accounts/2fa/"
# A moment safely inside one 30-second TOTP window, so codes do not roll over mid-test.
FROZEN = 1_800_000_010


def _admin_without_mfa(org):
    user = UserFactory(email="newadmin@example.org", with_mfa=False)
    MembershipFactory(user=user, organisation=org, role=Membership.Role.ORG_ADMIN)
    return user


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/accounts/members/",
        "/accounts/members/invite/",
        "/catalogue/",
        "/admin/",
        "/accounts/password/change/",
        "/accounts/email/",
    ],
)
def test_an_admin_without_mfa_is_sent_to_enrolment_from_every_page(client, org_a, path):
    client.force_login(_admin_without_mfa(org_a))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == ENROLMENT


def test_platform_staff_without_mfa_cannot_reach_the_admin(client, db):
    staff = UserFactory(email="ops@example.org", is_staff=True, is_superuser=True, with_mfa=False)
    client.force_login(staff)

    assert client.get("/admin/")["Location"] == ENROLMENT
    assert client.get("/admin/accounts/user/")["Location"] == ENROLMENT


def test_the_enrolment_page_explains_why_and_offers_both_kinds_of_factor(client, org_a):
    client.force_login(_admin_without_mfa(org_a))

    page = client.get(ENROLMENT).content.decode()

    assert "Set up two-factor authentication to continue" in page
    assert reverse("mfa_activate_totp") in page
    assert reverse("mfa_add_webauthn") in page


def test_a_member_of_an_organisation_that_does_not_require_mfa_can_browse_without(client, org_a):
    org_a.mfa_required_for_members = False
    org_a.save()
    member = UserFactory(email="relaxed@example.org", with_mfa=False)
    MembershipFactory(user=member, organisation=org_a)
    client.force_login(member)

    assert client.get("/").status_code == 200
    assert client.get("/catalogue/").status_code == 200


def test_promoting_a_member_to_admin_requires_mfa_on_their_next_page(client, org_a):
    org_a.mfa_required_for_members = False
    org_a.save()
    member = UserFactory(email="relaxed@example.org", with_mfa=False)
    membership = MembershipFactory(user=member, organisation=org_a)
    client.force_login(member)
    assert client.get("/").status_code == 200

    membership.role = Membership.Role.ORG_ADMIN
    membership.save()

    assert client.get("/")["Location"] == ENROLMENT


def test_an_admin_without_mfa_can_enrol_with_totp_straight_after_signing_in(
    client, org_a, django_capture_on_commit_callbacks
):
    _admin_without_mfa(org_a)
    response = sign_in_password(client, "newadmin@example.org")
    assert response.status_code == 302  # no MFA yet: signed in, sent on
    assert client.get("/")["Location"] == ENROLMENT

    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200  # no second password prompt right after sign-in
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page.content.decode())
    assert secret, "the secret is shown for manual entry"
    with django_capture_on_commit_callbacks(execute=True):
        activated = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret.group(1))})

    assert activated.status_code == 302
    assert Authenticator.objects.filter(
        user__email="newadmin@example.org", type=Authenticator.Type.TOTP
    ).exists()
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(
        action="mfa.authenticator_added", actor_label="newadmin@example.org"
    ).exists()


def test_admin_login_goes_through_the_one_login_with_mfa(client, staff):
    response = client.get("/admin/")
    assert response["Location"].startswith("/admin/login/")
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)

    # Django's own admin login form is not there to post to.
    posted = client.post(
        "/admin/login/?next=/admin/",
        {"username": "staff@portcullis.example", "password": "correct horse battery staple"},
    )
    assert posted.status_code == 302
    assert posted["Location"].startswith(LOGIN_URL)
    assert client.get("/admin/").status_code == 302

    response = sign_in_password(client, "staff@portcullis.example")
    assert response["Location"] == MFA_URL
    sign_in_mfa(client, totp_code())
    assert client.get("/admin/").status_code == 200


def test_a_signed_in_non_staff_person_gets_403_from_the_admin(client_for, alice):
    response = client_for(alice).get("/admin/", follow=True)

    assert response.status_code == 403
    assert response.redirect_chain == [("/admin/login/?next=/admin/", 302)]


def test_a_totp_code_is_refused_on_replay(client, alice):
    with time_machine.travel(FROZEN, tick=False):
        code = totp_code()
        sign_in_password(client, "alice@example.org")
        assert sign_in_mfa(client, code)["Location"] == "/"
        client.post("/accounts/logout/")

        sign_in_password(client, "alice@example.org")
        replay = sign_in_mfa(client, code)

        assert replay.status_code == 200
        assert "Incorrect code" in replay.content.decode()
        assert client.get("/")["Location"].startswith(LOGIN_URL)


def test_a_recovery_code_works_once(client, alice):
    codes = RecoveryCodes.activate(alice).get_unused_codes()

    sign_in_password(client, "alice@example.org")
    assert sign_in_mfa(client, codes[0])["Location"] == "/"
    client.post("/accounts/logout/")

    sign_in_password(client, "alice@example.org")
    again = sign_in_mfa(client, codes[0])
    assert again.status_code == 200
    assert "Incorrect code" in again.content.decode()

    assert sign_in_mfa(client, codes[1])["Location"] == "/"


def test_a_password_reset_neither_disables_nor_bypasses_mfa(client, alice):
    client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mail.outbox[0].body)
    assert link
    form_page = client.get(link.group(1), follow=True)
    new_password = "a brand new passphrase 42"
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"password1": new_password, "password2": new_password},
    )
    assert done.status_code == 302
    assert client.get("/")["Location"].startswith(LOGIN_URL)  # not signed in by the reset

    assert Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).exists()
    response = sign_in_password(client, "alice@example.org", new_password)
    assert response["Location"] == MFA_URL
    assert client.get("/")["Location"].startswith(LOGIN_URL)
    assert sign_in_mfa(client, totp_code(TEST_TOTP_SECRET))["Location"] == "/"


def test_someone_who_must_use_mfa_cannot_remove_their_only_authenticator(client, bob):
    sign_in(client, "bob@example.org")

    client.post(reverse("mfa_deactivate_totp"))

    assert Authenticator.objects.filter(user=bob, type=Authenticator.Type.TOTP).exists()


def test_removing_an_authenticator_is_recorded(client, org_a):
    org_a.mfa_required_for_members = False
    org_a.save()
    member = UserFactory(email="relaxed@example.org")
    MembershipFactory(user=member, organisation=org_a)
    with time_machine.travel(FROZEN, tick=False):
        sign_in(client, "relaxed@example.org")
        # Removing a factor needs a fresh re-authentication (here: the password again).
        response = client.get(reverse("mfa_deactivate_totp"))
        if response.status_code == 302 and "reauthenticate" in response["Location"]:
            client.post(response["Location"], {"password": "correct horse battery staple"})
        client.post(reverse("mfa_deactivate_totp"))

    assert not Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
    assert AuditEvent.objects.filter(
        action="mfa.authenticator_removed", actor_label="relaxed@example.org"
    ).exists()
