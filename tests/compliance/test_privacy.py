"""Opening a person's detail: a reason, recorded before the page, shown to the person;
people who left or were deactivated are no longer visible in detail."""

from __future__ import annotations

from unittest import mock

import pytest
from django.urls import reverse

from apps.accounts.models import Membership
from apps.audit.models import AuditEvent
from apps.compliance import selectors
from tests.compliance.builders import ALL_NO, people

pytestmark = pytest.mark.django_db

REASON = "Following up an overdue assessment"


def _open(client, assessment, what="answers", reason=REASON, other=""):
    return client.post(
        reverse("compliance:open_detail_record", args=[assessment.public_id]),
        {"what": what, "reason": reason, "reason_other": other},
    )


def test_no_reason_no_page_and_nothing_recorded(client_for, bob, alice, submit):
    assessment = submit(alice)
    client = client_for(bob)
    form = client.get(reverse("compliance:open_detail", args=[assessment.public_id]))
    assert form.status_code == 200
    assert "Router" not in form.content.decode()

    response = client.post(
        reverse("compliance:open_detail_record", args=[assessment.public_id]), {"what": "answers"}
    )
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action=selectors.DETAIL_VIEW_ACTION).exists()
    response = _open(client, assessment, reason="other", other="")
    assert response.status_code == 400


def test_the_audit_event_is_committed_before_the_page_is_rendered(client_for, bob, alice, submit):
    assessment = submit(alice)
    client = client_for(bob)
    seen_at_render = []
    from apps.compliance import presenters

    real = presenters.answers_context

    def spy(**kwargs):
        seen_at_render.append(
            AuditEvent.objects.filter(action=selectors.DETAIL_VIEW_ACTION, subject=alice).count()
        )
        return real(**kwargs)

    with mock.patch.object(presenters, "answers_context", side_effect=spy):
        response = _open(client, assessment, reason="other", other="Checking the router note")

    assert response.status_code == 200
    assert seen_at_render == [1]
    event = AuditEvent.objects.get(action=selectors.DETAIL_VIEW_ACTION)
    assert (event.actor, event.subject) == (bob, alice)
    assert event.detail["reason"] == "Checking the router note"
    assert (
        "Check before you sign in" in response.content.decode()
        or "2-step" in response.content.decode()
    )


def test_if_the_audit_cannot_be_written_nothing_is_sent(client_for, bob, alice, submit):
    assessment = submit(alice)
    client = client_for(bob)
    client.raise_request_exception = False
    with mock.patch(
        "apps.compliance.services.audit_record", side_effect=RuntimeError("audit down")
    ):
        response = _open(client, assessment)
    assert response.status_code == 500
    assert b"Router" not in response.content


def test_the_member_sees_who_opened_their_answers_and_why(client_for, bob, alice, submit):
    assessment = submit(alice)
    _open(client_for(bob), assessment)

    page = client_for(alice).get(reverse("compliance:seen_my_answers")).content.decode()
    assert "bob@example.org" in page
    assert REASON in page
    (view,) = selectors.detail_views_of_user(user=alice)
    assert view["reason"] == REASON and view["what"] == "answers"


def test_the_report_link_on_the_reports_page_asks_for_a_reason(
    client_for, bob, alice, submit, django_capture_on_commit_callbacks
):
    from apps.reports.services import report_request

    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=alice, assessment=assessment)
    client = client_for(bob)
    page = client.get(reverse("reports:organisation")).content.decode()
    link = reverse("compliance:open_detail", args=[assessment.public_id]) + "?what=report"
    assert link in page
    assert reverse("reports:pdf", args=[report.public_id]) not in page

    # straight to the file without a reason: refused, and recorded as refused
    assert client.get(reverse("reports:pdf", args=[report.public_id])).status_code == 404
    assert AuditEvent.objects.filter(action="report.download", outcome="denied").count() == 1

    response = _open(client, assessment, what="report")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert AuditEvent.objects.filter(action=selectors.DETAIL_VIEW_ACTION).count() == 1


@pytest.mark.parametrize("how", ["deactivated", "left"])
def test_people_who_left_are_404_in_detail_but_still_count_in_aggregates(
    client_for, bob, alice, org_a, pack, submit, how
):
    assessment = submit(alice)
    people(org_a, 4, pack, ALL_NO)
    if how == "deactivated":
        alice.is_active = False
        alice.save(update_fields=["is_active"])
    else:
        Membership.objects.filter(user=alice).delete()

    client = client_for(bob)
    assert (
        client.get(reverse("compliance:open_detail", args=[assessment.public_id])).status_code
        == 404
    )
    assert _open(client, assessment).status_code == 404
    members = client.get(reverse("compliance:members")).content.decode()
    assert "alice@example.org" not in members
    assert selectors.dashboard_for_user(user=bob)["results"]["people"] == 5
