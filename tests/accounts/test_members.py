"""Organisation admin pages: members, detail, roles, deactivation; isolation between orgs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.accounts.models import Membership
from apps.audit.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_an_admin_sees_their_organisations_members_and_no_one_else(
    client_for, bob, alice, carol, charlie, dave
):
    body = client_for(bob).get(reverse("accounts:member_list")).content.decode()

    for email in ("alice@example.org", "bob@example.org", "carol@example.org"):
        assert email in body
    for email in ("charlie@example.org", "dave@example.org"):
        assert email not in body


def test_the_members_list_shows_who_has_mfa(client_for, bob, org_a):
    from tests.factories import MembershipFactory

    MembershipFactory(
        user=UserFactory(email="nofactor@example.org", with_mfa=False), organisation=org_a
    )

    body = client_for(bob).get(reverse("accounts:member_list")).content.decode()

    # A state, not a button: "On" for those who have it ("Set up" read like an action).
    assert body.count('govuk-tag--red">Off</strong>') == 1
    assert body.count('govuk-tag--green">On</strong>') >= 1
    assert "Set up</strong>" not in body


def test_another_organisations_member_detail_is_404(client_for, dave, alice):
    url = reverse("accounts:member_detail", args=[alice.membership.public_id])

    assert client_for(dave).get(url).status_code == 404


def test_an_admin_opens_a_member_of_their_organisation(client_for, bob, alice):
    url = reverse("accounts:member_detail", args=[alice.membership.public_id])

    response = client_for(bob).get(url)

    assert response.status_code == 200
    assert "alice@example.org" in response.content.decode()


@pytest.mark.parametrize("name", ["accounts:member_list", "accounts:member_invite"])
def test_members_who_are_not_admins_get_403(client_for, alice, name):
    assert client_for(alice).get(reverse(name)).status_code == 403


def test_members_who_are_not_admins_get_403_on_member_pages(client_for, alice, carol):
    client = client_for(alice)
    public_id = carol.membership.public_id

    assert client.get(reverse("accounts:member_detail", args=[public_id])).status_code == 403
    assert (
        client.post(
            reverse("accounts:member_change_role", args=[public_id]), {"role": "org_admin"}
        ).status_code
        == 403
    )
    carol.membership.refresh_from_db()
    assert carol.membership.role == Membership.Role.MEMBER


def test_signed_out_visitors_are_sent_to_sign_in(client, db):
    response = client.get(reverse("accounts:member_list"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_admin_changes_a_role_and_it_is_recorded(client_for, bob, carol):
    url = reverse("accounts:member_change_role", args=[carol.membership.public_id])

    response = client_for(bob).post(url, {"role": "org_admin"})

    assert response.status_code == 302
    carol.membership.refresh_from_db()
    assert carol.membership.role == Membership.Role.ORG_ADMIN
    event = AuditEvent.objects.get(action="membership.role_changed")
    assert (event.actor, event.subject) == (bob, carol)


def test_another_organisations_admin_cannot_change_a_role(client_for, dave, carol):
    url = reverse("accounts:member_change_role", args=[carol.membership.public_id])

    assert client_for(dave).post(url, {"role": "org_admin"}).status_code == 404
    carol.membership.refresh_from_db()
    assert carol.membership.role == Membership.Role.MEMBER
    assert not AuditEvent.objects.filter(action="membership.role_changed").exists()


def test_the_only_admin_cannot_be_demoted(client_for, bob):
    url = reverse("accounts:member_change_role", args=[bob.membership.public_id])

    response = client_for(bob).post(url, {"role": "member"})

    assert response.status_code == 400
    assert "only admin" in response.content.decode()
    bob.membership.refresh_from_db()
    assert bob.membership.role == Membership.Role.ORG_ADMIN


def test_an_unknown_role_is_refused(client_for, bob, carol):
    url = reverse("accounts:member_change_role", args=[carol.membership.public_id])

    response = client_for(bob).post(url, {"role": "superuser"})

    assert response.status_code == 400
    carol.membership.refresh_from_db()
    assert carol.membership.role == Membership.Role.MEMBER


def test_an_admin_deactivates_a_member_from_their_page(client_for, bob, carol):
    url = reverse("accounts:member_deactivate", args=[carol.membership.public_id])

    response = client_for(bob).post(url)

    assert response.status_code == 302
    carol.refresh_from_db()
    assert not carol.is_active


def test_another_organisations_admin_cannot_deactivate(client_for, dave, carol):
    url = reverse("accounts:member_deactivate", args=[carol.membership.public_id])

    assert client_for(dave).post(url).status_code == 404
    carol.refresh_from_db()
    assert carol.is_active


def test_a_malformed_id_is_404(client_for, bob):
    assert client_for(bob).get("/accounts/members/not-a-uuid/").status_code == 404
