"""Disputes shown to the admin: who disputes an answer their IT team confirmed (names and
counts), and, behind a recorded reason, what was confirmed and what the person says;
only within the admin's own organisation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.assessments.services import assessment_start
from apps.assessments.verification import answer_dispute
from apps.audit.models import AuditEvent
from apps.compliance import selectors

pytestmark = pytest.mark.django_db

REASON = "Checking the dispute against what our systems report"
DISPUTE = "I use my own laptop for constituency work, and it is not encrypted."


def _push(api, key, assessment, control="T-ACC-01", answer="yes"):
    response = api(key).post(
        f"/api/v1/assessments/{assessment.public_id}/answers/",
        {
            "answers": [
                {
                    "control": control,
                    "answer": answer,
                    "evidence": {"reference": "intune:device/4411"},
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()


@pytest.fixture
def disputed(api, key_a, alice, pack):
    assessment = assessment_start(actor=alice, pack=pack)
    _push(api, key_a, assessment)
    answer_dispute(actor=alice, assessment=assessment, control_key="T-ACC-01", reason=DISPUTE)
    return assessment


def _open(client, assessment, reason=REASON):
    return client.post(
        reverse("compliance:disputes_open_record", args=[assessment.public_id]),
        {"reason": reason, "reason_other": ""},
    )


def _viewed():
    return AuditEvent.objects.filter(action=selectors.DETAIL_VIEW_ACTION)


def test_the_admin_sees_who_disputes_from_the_dashboard_without_their_answers(
    client_for, bob, alice, disputed
):
    client = client_for(bob)
    dashboard = client.get(reverse("compliance:dashboard")).content.decode()
    assert reverse("compliance:disputes") in dashboard

    page = client.get(reverse("compliance:disputes"))
    assert page.status_code == 200
    html = page.content.decode()
    assert alice.display_name in html
    assert reverse("compliance:disputes_open", args=[disputed.public_id]) in html
    # Who, not what: no answer, no evidence, no reason until a reason is recorded.
    assert "laptop" not in html and "intune" not in html
    form = client.get(reverse("compliance:disputes_open", args=[disputed.public_id]))
    assert form.status_code == 200
    assert "laptop" not in form.content.decode()
    assert not _viewed().exists()


def test_opening_the_disputes_records_the_reason_then_shows_them(client_for, bob, alice, disputed):
    client = client_for(bob)
    refused = client.post(reverse("compliance:disputes_open_record", args=[disputed.public_id]), {})
    assert refused.status_code == 400
    # One of the offered reasons, or the admin's own words: nothing else.
    assert _open(client, disputed, reason="Because I can").status_code == 400
    assert not _viewed().exists()
    # The person-detail reasons are offered too.
    assert _open(client, disputed, reason="The person asked me to").status_code == 200
    assert _viewed().count() == 1

    page = _open(client, disputed)
    assert page.status_code == 200
    html = page.content.decode()
    assert DISPUTE.replace("'", "&#x27;") in html or "own laptop" in html
    assert "Org A sync" in html and "intune:device/4411" in html
    assert "Your IT team confirmed" in html
    assert _viewed().count() == 2
    event = _viewed().latest("occurred_at")
    assert (event.actor, event.subject, event.outcome) == (bob, alice, "allowed")
    assert event.detail["what"] == "disputes" and event.detail["reason"] == REASON
    # The person sees who looked, when and why.
    seen = client_for(alice).get(reverse("compliance:seen_my_answers")).content.decode()
    assert "Your disputed answers" in seen and REASON in seen


def test_another_organisation_and_members_learn_nothing(
    client_for, alice, carol, dave, charlie, disputed
):
    for outsider in (dave, charlie, carol, alice):
        client = client_for(outsider)
        if outsider in (dave,):
            listing = client.get(reverse("compliance:disputes"))
            assert listing.status_code == 200
            assert alice.display_name not in listing.content.decode()
        else:
            assert client.get(reverse("compliance:disputes")).status_code == 404
        url = reverse("compliance:disputes_open", args=[disputed.public_id])
        assert client.get(url).status_code == 404
        assert _open(client, disputed).status_code == 404
    # Each refused opening by someone other than alice is on record, in org A's trail.
    denied = _viewed().filter(outcome="denied")
    assert {e.actor for e in denied} == {dave, charlie, carol}
    assert {e.subject for e in denied} == {alice}
    assert not _viewed().filter(outcome="allowed").exists()


def test_a_dispute_the_it_team_settles_leaves_the_list(
    client_for, api, key_a, bob, alice, disputed
):
    from apps.assessments.services import answer_save

    answer_save(actor=alice, assessment=disputed, control_key="T-ACC-01", answer_key="no")
    # The IT team checks and confirms the person's answer: the dispute is settled.
    _push(api, key_a, disputed, answer="no")
    html = client_for(bob).get(reverse("compliance:disputes")).content.decode()
    assert "Nobody disputes an answer" in html


def test_people_who_left_are_not_listed(client_for, bob, alice, disputed):
    from apps.accounts.services import user_deactivate

    user_deactivate(actor=bob, user=alice)
    client = client_for(bob)
    assert alice.display_name not in client.get(reverse("compliance:disputes")).content.decode()
    url = reverse("compliance:disputes_open", args=[disputed.public_id])
    assert client.get(url).status_code == 404
