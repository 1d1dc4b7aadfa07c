"""The audit viewer (SECURITY_TESTS 19, 4): org admins read their organisation's events,
staff read all, members nothing; filters; read-only; CSV export that cannot run formulas."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from tests.security.flows import reauthenticate, sign_in

pytestmark = pytest.mark.django_db

LIST = reverse("audit:list")
EXPORT = reverse("audit:export")


@pytest.fixture
def events(alice, charlie, org_a, org_b):
    return {
        "a": audit_record(actor=alice, action="login.succeeded", organisation=org_a),
        "a_denied": audit_record(
            actor=alice, action="access.denied", organisation=org_a, outcome="denied"
        ),
        "b": audit_record(actor=charlie, action="login.succeeded", organisation=org_b),
    }


def test_an_org_admin_sees_only_their_organisation(client_for, bob, events):
    page = client_for(bob).get(LIST)

    assert page.status_code == 200
    body = page.content.decode()
    assert "alice@example.org" in body
    assert "charlie@example.org" not in body


def test_staff_see_every_organisation(client_for, staff, events):
    body = client_for(staff).get(LIST).content.decode()

    assert "alice@example.org" in body and "charlie@example.org" in body


@pytest.mark.parametrize("persona", ["alice", "carol"])
def test_members_cannot_read_the_audit(client_for, request, persona, events):
    client = client_for(request.getfixturevalue(persona))

    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code in (302, 403)  # re-authenticate first, then 403


def test_the_navigation_links_to_it_for_admins_only(client_for, bob, alice):
    assert LIST in client_for(bob).get("/").content.decode()
    assert LIST not in client_for(alice).get("/").content.decode()


def test_filters_narrow_the_events(client_for, bob, events):
    client = client_for(bob)

    denied = client.get(LIST, {"outcome": "denied"}).content.decode()
    assert "access.denied" in denied and "login.succeeded</td>" not in denied
    by_action = client.get(LIST, {"action": "login.succeeded"}).content.decode()
    assert "1 event" in by_action


def test_a_bad_filter_says_why_and_shows_nothing(client_for, bob, events):
    page = client_for(bob).get(LIST, {"since": "yesterday", "action": "nope"})

    body = page.content.decode()
    assert page.status_code == 200
    assert "There is a problem" in body and "No events match" in body


def test_the_viewer_changes_nothing(client_for, bob, events):
    before = AuditEvent.objects.count()

    assert client_for(bob).post(LIST, {"action": "x"}).status_code == 405
    assert AuditEvent.objects.count() == before


def test_the_export_needs_a_recent_sign_in(client_for, bob, events):
    response = client_for(bob).get(EXPORT)

    assert response.status_code == 302
    assert "/accounts/reauthenticate/" in response["Location"]


def test_the_csv_export_is_scoped_audited_and_neutralises_formulas(client, bob, org_a, events):
    for hostile in ('=HYPERLINK("http://evil")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        audit_record(actor=None, actor_label=hostile, action="login.failed", organisation=org_a)
    sign_in(client, bob.email)
    reauthenticate(client)

    response = client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    cells = [cell for row in rows[1:] for cell in row]
    assert "charlie@example.org" not in cells
    assert not any(cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells)
    assert '\'=HYPERLINK("http://evil")' in cells and "'+1" in cells
    export = AuditEvent.objects.get(action="audit.exported")
    assert export.actor == bob and export.detail["rows"] == len(rows) - 1


def test_events_about_one_person_can_be_picked_out(client_for, bob, alice, carol, org_a):
    audit_record(actor=bob, action="membership.role_changed", organisation=org_a, subject=carol)
    audit_record(actor=bob, action="report.download", organisation=org_a, subject=alice)

    body = client_for(bob).get(LIST, {"about": "carol"}).content.decode()

    assert "membership.role_changed</td>" in body or "membership.role_changed " in body
    assert "report.download</td>" not in body and "1 event<" in body
