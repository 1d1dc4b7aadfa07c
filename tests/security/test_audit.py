"""The audit trail: what is recorded, and that it cannot be rewritten (SECURITY_TESTS 19)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.accounts.models import Membership
from apps.accounts.services import membership_change_role
from apps.audit.models import AuditEvent
from apps.audit.services import audit_purge_before, audit_record
from tests.security.flows import sign_in, sign_in_password

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(alice, org_a):
    return audit_record(actor=alice, action="test.event", organisation=org_a)


def test_a_successful_sign_in_is_recorded_with_address_and_request_id(client, alice, org_a):
    sign_in(client, "alice@example.org")

    event = AuditEvent.objects.get(action="login.succeeded")
    assert event.actor == alice
    assert event.organisation == org_a
    assert event.ip_address == "127.0.0.1"
    assert len(event.request_id) == 32
    assert event.outcome == AuditEvent.Outcome.ALLOWED


def test_the_password_step_alone_is_not_a_successful_sign_in(client, alice):
    sign_in_password(client, "alice@example.org")

    assert not AuditEvent.objects.filter(action="login.succeeded").exists()


def test_a_failed_sign_in_is_recorded_without_the_password(client, alice):
    sign_in_password(client, "alice@example.org", "my secret guess")

    event = AuditEvent.objects.get(action="login.failed")
    assert event.outcome == AuditEvent.Outcome.DENIED
    assert event.actor is None
    assert event.detail == {"login": "alice@example.org"}
    assert "my secret guess" not in str(event.detail)


def test_a_wrong_second_factor_is_recorded(client, alice):
    sign_in_password(client, "alice@example.org")
    client.post("/accounts/2fa/authenticate/", {"code": "not-a-code"})

    event = AuditEvent.objects.get(action="mfa.failed")
    assert event.subject == alice
    assert event.outcome == AuditEvent.Outcome.DENIED


def test_signing_out_is_recorded(client, alice):
    sign_in(client, "alice@example.org")
    client.post("/accounts/logout/")

    assert AuditEvent.objects.filter(action="logout", actor=alice).count() == 1


def test_a_role_change_is_recorded_with_before_and_after(bob, carol, org_a):
    membership_change_role(actor=bob, membership=carol.membership, role=Membership.Role.ORG_ADMIN)

    event = AuditEvent.objects.get(action="membership.role_changed")
    assert (event.actor, event.subject, event.organisation) == (bob, carol, org_a)
    assert event.detail == {"from": "member", "to": "org_admin"}
    assert event.object_id == str(carol.membership.public_id)


def test_an_event_cannot_be_changed_through_the_orm(event):
    event.action = "something.else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="something.else")
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(actor=None, action="x")

    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_an_event_cannot_be_deleted_through_the_orm(event):
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_deleting_a_person_keeps_their_events_with_the_label(event, alice):
    alice.delete()

    kept = AuditEvent.objects.get(pk=event.pk)
    assert kept.actor is None
    assert kept.actor_label == "alice@example.org"


def test_the_admin_shows_events_read_only_and_offers_no_delete(client, staff, event):
    client.force_login(staff)
    change_url = f"/admin/audit/auditevent/{event.pk}/change/"

    page = client.get(change_url)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change_url, {"action": "rewritten"}).status_code == 403
    assert client.get(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert (
        client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    listing = client.post(
        "/admin/audit/auditevent/",
        {"action": "delete_selected", "_selected_action": [event.pk]},
    )
    assert listing.status_code in (200, 302, 403)

    assert AuditEvent.objects.get(pk=event.pk).action == "test.event"


def test_retention_purges_only_old_events_and_records_the_purge(alice):
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        old = audit_record(actor=alice, action="old.event")
    recent = audit_record(actor=alice, action="recent.event")

    deleted = audit_purge_before(before=timezone.now() - timedelta(days=365))

    assert deleted == 1
    assert not AuditEvent.objects.filter(pk=old.pk).exists()
    assert AuditEvent.objects.filter(pk=recent.pk).exists()
    assert AuditEvent.objects.filter(action="audit.purged").exists()
