"""A key's scopes are enforced on every route: one test per scope, each showing the scope
opens its routes and nothing else does."""

from __future__ import annotations

import pytest

from apps.api.models import Scope

pytestmark = pytest.mark.django_db

# One route per scope (GET), and the writes that need write:assessments.
ROUTE_FOR_SCOPE = {
    Scope.READ_ASSESSMENTS: "/api/v1/assessments/",
    Scope.READ_REPORTS: "/api/v1/reports/",
    Scope.ADMIN_MEMBERS: "/api/v1/members/",
}


def _others(scope):
    return [s for s in Scope.values if s != scope]


@pytest.mark.parametrize("scope", list(ROUTE_FOR_SCOPE))
def test_a_read_scope_opens_its_routes_and_only_its_scope_does(scope, bob, issue_key, api, alice):
    route = ROUTE_FOR_SCOPE[scope]
    assert api(issue_key(bob, scopes=[scope])).get(route).status_code == 200
    without = api(issue_key(bob, scopes=_others(scope))).get(route)
    assert without.status_code == 403
    assert scope in without.json()["detail"]


def test_write_assessments_is_needed_to_start_and_to_write_answers(
    bob, alice, pack, issue_key, api
):
    body = {"pack": pack.slug, "member": str(alice.membership.public_id)}
    reader = api(issue_key(bob, scopes=_others(Scope.WRITE_ASSESSMENTS)))
    assert reader.post("/api/v1/assessments/", body, format="json").status_code == 403
    writer = api(issue_key(bob, scopes=[Scope.WRITE_ASSESSMENTS]))
    started = writer.post("/api/v1/assessments/", body, format="json")
    assert started.status_code == 201
    answers = {"answers": [{"control": "T-ACC-01", "answer": "yes"}]}
    url = f"/api/v1/assessments/{started.json()['id']}/answers/"
    assert reader.post(url, answers, format="json").status_code == 403
    assert writer.post(url, answers, format="json").status_code == 200
    # Writing does not grant reading.
    assert writer.get(url).status_code == 403


def test_admin_members_invites_and_revokes_but_never_gives_a_role(bob, issue_key, api, mailoutbox):
    from apps.accounts.models import Invitation

    without = api(issue_key(bob, scopes=_others(Scope.ADMIN_MEMBERS)))
    body = {"email": "new.person@example.org", "audience": "staff"}
    assert without.post("/api/v1/invitations/", body, format="json").status_code == 403
    admin = api(issue_key(bob, scopes=[Scope.ADMIN_MEMBERS]))
    made = admin.post("/api/v1/invitations/", body, format="json")
    assert made.status_code == 201
    invitation = Invitation.objects.get()
    assert invitation.role == "member"
    assert len(mailoutbox) == 1
    with_role = admin.post(
        "/api/v1/invitations/",
        {"email": "boss@example.org", "audience": "staff", "role": "org_admin"},
        format="json",
    )
    assert with_role.status_code == 400
    assert Invitation.objects.count() == 1
    revoked = admin.post(f"/api/v1/invitations/{invitation.public_id}/revoke/")
    assert revoked.status_code == 200
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_a_key_cannot_change_a_role_even_through_the_service(bob, issue_key, alice):
    from django.core.exceptions import PermissionDenied

    from apps.accounts.services import membership_change_role
    from apps.api.principal import ApiKeyActor
    from apps.api.services import api_key_authenticate

    actor = ApiKeyActor(key=api_key_authenticate(issue_key(bob, scopes=[Scope.ADMIN_MEMBERS])))
    with pytest.raises(PermissionDenied):
        membership_change_role(actor=actor, membership=alice.membership, role="org_admin")
    alice.membership.refresh_from_db()
    assert alice.membership.role == "member"


def test_read_compliance_alone_opens_no_personal_data(bob, issue_key, api, alice):
    client = api(issue_key(bob, scopes=[Scope.READ_COMPLIANCE]))
    assert client.get("/api/v1/whoami/").status_code == 200
    assert client.get("/api/v1/packs/").status_code == 200
    for route in ROUTE_FOR_SCOPE.values():
        assert client.get(route).status_code == 403


def test_keys_never_reach_the_audit_trail_or_a_persons_own_actions(key_a, api, alice_assessment):
    client = api(key_a)
    assert client.get("/api/v1/audit-events/").status_code == 403
    url = f"/api/v1/assessments/{alice_assessment.public_id}/submit/"
    assert client.post(url).status_code == 403
