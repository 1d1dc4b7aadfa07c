"""Invitations: issue, accept, and every way a link can be unusable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail, signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from apps.accounts import services
from apps.accounts.models import Audience, Invitation, Membership, User
from apps.accounts.selectors import INVITATION_TOKEN_SALT, invitation_token_for
from apps.audit.models import AuditEvent
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase"
SIGNER = signing.Signer(salt=INVITATION_TOKEN_SALT)


def _invite(bob, org_a, email="newcomer@example.org", **kwargs):
    return services.member_invite(
        actor=bob,
        organisation=org_a,
        email=email,
        full_name=kwargs.pop("full_name", "Nadia Newcomer"),
        role=kwargs.pop("role", Membership.Role.MEMBER),
        audience=kwargs.pop("audience", Audience.STAFF),
        **kwargs,
    )


def _link_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/invitations/accept/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def _accept(client, path, password=PASSWORD, name="Nadia Newcomer"):
    return client.post(path, {"full_name": name, "password1": password, "password2": password})


def _nothing_created(email="newcomer@example.org"):
    return (
        not User.objects.filter(email=email).exists()
        and not EmailAddress.objects.filter(email=email).exists()
        and not AuditEvent.objects.filter(action="invitation.accepted").exists()
    )


# --- Issuing ------------------------------------------------------------------------------


def test_an_admin_invites_someone_from_the_members_page(client_for, bob, org_a):
    client = client_for(bob)
    response = client.post(
        reverse("accounts:member_invite"),
        {
            "full_name": "Nadia Newcomer",
            "email": "Newcomer@Example.org",
            "audience": "staff",
            "role": "member",
        },
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.organisation, invitation.invited_by) == (
        "newcomer@example.org",
        org_a,
        bob,
    )
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["newcomer@example.org"]
    assert "Office of Alice (A)" in mail.outbox[0].subject
    assert _link_path(mail.outbox[0]).endswith(f"{invitation_token_for(invitation)}/")
    event = AuditEvent.objects.get(action="invitation.issued")
    assert (event.actor, event.organisation) == (bob, org_a)
    listing = client.get(reverse("accounts:member_list")).content.decode()
    assert "newcomer@example.org" in listing


def _invite_by_form(client, email):
    return client.post(
        reverse("accounts:member_invite"),
        {"full_name": "C", "email": email, "audience": "staff", "role": "member"},
    )


def test_an_address_with_an_account_elsewhere_is_answered_like_any_other(client_for, bob, charlie):
    """SECURITY_TESTS, issue 12 "Membership probing": the admin learns nothing."""
    client = client_for(bob)
    with_account = _invite_by_form(client, "charlie@example.org")
    without = _invite_by_form(client, "nobody-yet@example.org")

    assert with_account.status_code == without.status_code == 302
    assert with_account["Location"] == without["Location"]
    listing = client.get(reverse("accounts:member_list")).content.decode()
    assert "charlie@example.org" in listing and "nobody-yet@example.org" in listing
    assert Invitation.objects.count() == 2
    # The email tells the person, and carries no link to use.
    to_charlie = next(m for m in mail.outbox if m.to == ["charlie@example.org"])
    assert "You already have a Portcullis account" in to_charlie.body
    assert "/invitations/accept/" not in to_charlie.body
    assert "/invitations/accept/" in next(m for m in mail.outbox if m is not to_charlie).body
    events = AuditEvent.objects.filter(action="invitation.issued").order_by("occurred_at")
    assert [e.detail["email"] for e in events] == ["charlie@example.org", "nobody-yet@example.org"]
    assert {tuple(sorted(e.detail)) for e in events} == {("audience", "email", "role")}


def test_inviting_one_of_the_admin_s_own_members_says_so(client_for, bob, alice):
    response = _invite_by_form(client_for(bob), "Alice@Example.org")

    assert response.status_code == 400
    assert "already a member of your organisation" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_invitations_are_throttled_per_admin_and_the_refusal_is_audited(
    client_for, bob, dave, settings
):
    settings.INVITATIONS_PER_ADMIN_PER_HOUR = 3
    client = client_for(bob)
    statuses = [_invite_by_form(client, f"p{n}@example.org").status_code for n in range(4)]

    assert statuses == [302, 302, 302, 400]
    assert Invitation.objects.count() == 3
    assert len(mail.outbox) == 3
    refused = AuditEvent.objects.get(action="invitation.throttled")
    assert (refused.actor, refused.outcome, refused.detail["email"]) == (
        bob,
        AuditEvent.Outcome.DENIED,
        "p3@example.org",
    )
    # Another organisation's admin has their own allowance.
    assert _invite_by_form(client_for(dave), "q@example.org").status_code == 302


def test_a_second_pending_invitation_to_the_same_address_is_refused(bob, org_a):
    _invite(bob, org_a)
    with pytest.raises(ValidationError, match="already pending"):
        _invite(bob, org_a)
    assert Invitation.objects.count() == 1


def test_bad_input_is_refused_and_changes_nothing(client_for, bob):
    response = client_for(bob).post(
        reverse("accounts:member_invite"),
        {"full_name": "", "email": "not-an-email", "audience": "wizard", "role": "overlord"},
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter an email address like name@example.org." in body
    assert not Invitation.objects.exists()


def test_members_and_other_organisations_cannot_invite(client_for, alice, dave, org_a):
    response = client_for(alice).post(
        reverse("accounts:member_invite"),
        {"full_name": "X", "email": "x@example.org", "audience": "staff", "role": "org_admin"},
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        _invite(alice, org_a)
    with pytest.raises(PermissionDenied):
        _invite(dave, org_a)
    assert not Invitation.objects.exists()


# --- Accepting ----------------------------------------------------------------------------


def test_accepting_creates_the_account_and_signs_in_then_asks_for_mfa(client, bob, org_a):
    _invite(bob, org_a, role=Membership.Role.ORG_ADMIN)
    path = _link_path(mail.outbox[0])

    form = client.get(path)
    assert form.status_code == 200
    assert "newcomer@example.org" in form.content.decode()
    response = _accept(client, path)

    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
    user = User.objects.get(email="newcomer@example.org")
    assert user.check_password(PASSWORD)
    assert user.full_name == "Nadia Newcomer"
    assert EmailAddress.objects.get(user=user).verified
    membership = user.membership
    assert (membership.organisation, membership.role, membership.audience) == (
        org_a,
        Membership.Role.ORG_ADMIN,
        Audience.STAFF,
    )
    assert Invitation.objects.get().accepted_at is not None
    event = AuditEvent.objects.get(action="invitation.accepted")
    assert (event.actor, event.organisation) == (user, org_a)
    # Signed in, and the first thing asked is to set up MFA.
    assert client.get("/")["Location"] == reverse("mfa_index")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_the_password_validators_apply(client, bob, org_a):
    _invite(bob, org_a)
    path = _link_path(mail.outbox[0])

    for weak in ("short", "password1234", "123456789012", "newcomer@example.org"):
        response = _accept(client, path, password=weak)
        assert response.status_code == 400, weak
        assert "There is a problem" in response.content.decode()
    mismatch = client.post(
        path, {"full_name": "N", "password1": PASSWORD, "password2": PASSWORD + "x"}
    )
    assert "The passwords do not match." in mismatch.content.decode()
    assert _nothing_created()


def test_an_expired_link_is_refused_and_creates_nothing(client, bob, org_a):
    _invite(bob, org_a)
    path = _link_path(mail.outbox[0])

    with time_machine.travel(
        timezone.now() + timedelta(seconds=settings.INVITATION_MAX_AGE + 60), tick=False
    ):
        page = client.get(path)
        posted = _accept(client, path)

    assert page.status_code == posted.status_code == 410
    assert "This invitation has expired" in posted.content.decode()
    assert _nothing_created()


def test_a_used_link_is_refused(client, bob, org_a):
    _invite(bob, org_a)
    path = _link_path(mail.outbox[0])
    _accept(client, path)
    client.post("/accounts/logout/")

    again = _accept(client, path, name="Someone Else")

    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert User.objects.filter(email="newcomer@example.org").count() == 1
    assert User.objects.get(email="newcomer@example.org").full_name == "Nadia Newcomer"


def test_a_revoked_link_is_refused(client_for, client, bob, org_a):
    invitation = _invite(bob, org_a)
    path = _link_path(mail.outbox[0])
    admin = client_for(bob)
    response = admin.post(reverse("accounts:invitation_revoke", args=[invitation.public_id]))
    assert response.status_code == 302
    admin.post("/accounts/logout/")

    page = client.get(path)

    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()
    assert _accept(client, path).status_code == 410
    assert _nothing_created()
    assert AuditEvent.objects.filter(action="invitation.revoked", actor=bob).count() == 1


@pytest.mark.parametrize("tamper", ["signature", "public_id", "expiry", "garbage"])
def test_a_tampered_link_is_refused(client, bob, org_a, tamper):
    invitation = _invite(bob, org_a)
    token = invitation_token_for(invitation)
    if tamper == "signature":
        token = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    elif tamper == "public_id":
        # Our signature, moved onto a payload naming another invitation.
        other = InvitationFactory(organisation=org_a)
        signature = token.rsplit(":", 1)[1]
        other_payload = SIGNER.sign_object(
            {"i": str(other.public_id), "e": int(other.expires_at.timestamp())}
        ).rsplit(":", 1)[0]
        token = f"{other_payload}:{signature}"
    elif tamper == "expiry":
        # Correctly signed with our key, but claiming another expiry than the stored one.
        token = SIGNER.sign_object(
            {"i": str(invitation.public_id), "e": int(invitation.expires_at.timestamp()) + 86400}
        )
    else:
        token = "not-a-token"
    path = reverse("accounts:invitation_accept", args=[token])

    assert client.get(path).status_code == 404
    response = _accept(client, path)
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()
    assert _nothing_created()


def test_accepting_when_an_account_was_created_meanwhile_is_refused(client, bob, org_a, dave):
    from tests.factories import UserFactory

    _invite(bob, org_a)
    path = _link_path(mail.outbox[0])
    UserFactory(email="newcomer@example.org")  # e.g. another organisation's invitation won

    response = _accept(client, path)

    assert response.status_code == 400
    assert "An account already exists" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None
    assert not AuditEvent.objects.filter(action="invitation.accepted").exists()


def test_a_signed_in_person_is_asked_to_sign_out_first(client_for, alice, bob, org_a):
    _invite(bob, org_a)
    path = _link_path(mail.outbox[0])

    response = client_for(alice).post(
        path, {"full_name": "x", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert response.status_code == 400
    assert "You are already signed in" in response.content.decode()
    assert _nothing_created()


def test_another_organisations_admin_cannot_revoke(client_for, bob, dave, org_a):
    invitation = _invite(bob, org_a)

    response = client_for(dave).post(
        reverse("accounts:invitation_revoke", args=[invitation.public_id])
    )

    assert response.status_code == 404
    assert Invitation.objects.get().revoked_at is None


def test_a_member_whose_organisation_does_not_require_mfa_goes_straight_home(client, bob, org_a):
    org_a.mfa_required_for_members = False
    org_a.save()
    _invite(bob, org_a)

    response = _accept(client, _link_path(mail.outbox[0]))

    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
