"""Campaigns: launching, assignments on the home page, late joiners, recurrence."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Audience
from apps.compliance import selectors, services
from apps.compliance.models import Assignment, Campaign
from tests.compliance.builders import ALL_NO, people
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def _due(days=14):
    return timezone.localdate() + datetime.timedelta(days=days)


def test_launching_by_audience_assigns_its_people_and_names_itself(bob, alice, carol, pack):
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), audience=Audience.STAFF
    )

    assigned = set(campaign.assignments.values_list("user__email", flat=True))
    assert assigned == {"bob@example.org", "carol@example.org"}  # staff, not alice (an MP)
    assert campaign.name == f"{pack.title} – due {_due():%-d %B %Y}"


def test_launching_by_name_assigns_only_those_people(bob, alice, carol, pack):
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), people=[str(alice.public_id)], name="Alice only"
    )
    assert list(campaign.assignments.values_list("user", flat=True)) == [alice.pk]
    assert campaign.name == "Alice only"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {"due_date": timezone.localdate() - datetime.timedelta(days=1), "audience": "staff"},
            "due_date",
        ),
        ({"due_date": _due()}, "audience"),
        ({"due_date": _due(), "audience": "election_official"}, "audience"),
        ({"due_date": _due(), "audience": "staff", "recurrence": "election"}, "election_date"),
        (
            {"due_date": _due(), "audience": "staff", "remind_days_before": "soon"},
            "remind_days_before",
        ),
    ],
)
def test_bad_campaign_input_is_refused_and_creates_nothing(bob, pack, kwargs, field):
    with pytest.raises(services.CampaignError) as exc:
        services.campaign_launch(actor=bob, pack=pack, **kwargs)
    assert field in exc.value.message_dict
    assert not Campaign.objects.exists()


def test_someone_from_another_organisation_cannot_be_named(bob, charlie, pack):
    with pytest.raises(services.CampaignError):
        services.campaign_launch(
            actor=bob, pack=pack, due_date=_due(), people=[str(charlie.public_id)]
        )
    assert not Assignment.objects.exists()


def test_a_member_cannot_launch_a_campaign(alice, pack):
    from django.http import Http404

    with pytest.raises(Http404):
        services.campaign_launch(actor=alice, pack=pack, due_date=_due(), audience="staff")


def test_the_member_sees_the_assignment_on_the_home_page_and_starting_counts(
    client_for, bob, carol, pack
):
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), audience=Audience.STAFF
    )
    client = client_for(carol)
    home = client.get(reverse("home")).content.decode()
    assert f"Due {_due():%-d %B %Y}" in home
    # The default name is the pack and the due date: each is said once, not twice.
    (item,) = re.findall(r"<li[^>]*data-assignment=.*?</li>", home, re.S)
    assert re.sub(r"<[^>]+>", " ", item).count(f"{_due():%-d %B %Y}") == 2  # text + button
    assert pack.title in item and campaign.name not in item

    named = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), audience=Audience.STAFF, name="Spring check"
    )
    home = client.get(reverse("home")).content.decode()
    assert "Spring check" in home and named.name == "Spring check"

    assignment = Assignment.objects.get(campaign=campaign, user=carol)
    response = client.post(reverse("compliance:assignment_start", args=[assignment.public_id]))
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.assessment is not None
    assert assignment.assessment.user == carol

    (row,) = [r for r in selectors.completion_for_user(user=bob) if r["name"] == campaign.name]
    assert (row["total"], row["not_started"], row["in_progress"], row["submitted"]) == (2, 2, 0, 0)


def test_someone_elses_assignment_is_404(client_for, bob, carol, alice, pack):
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), audience=Audience.STAFF
    )
    assignment = Assignment.objects.get(campaign=campaign, user=carol)
    response = client_for(alice).post(
        reverse("compliance:assignment_start", args=[assignment.public_id])
    )
    assert response.status_code == 404


def test_people_who_join_later_are_assigned_on_joining(bob, org_a, pack):
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), audience=Audience.STAFF
    )
    newcomer = UserFactory(email="newcomer@example.org")
    membership = MembershipFactory(user=newcomer, organisation=org_a, audience=Audience.STAFF)

    assert services.assignments_create_for_member(membership=membership) == 1
    assert services.assignments_create_for_member(membership=membership) == 0
    assert Assignment.objects.filter(campaign=campaign, user=newcomer).exists()


def test_the_round_catches_up_people_added_another_way(bob, org_a, pack):
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), audience=Audience.STAFF
    )
    people(org_a, 2, pack, ALL_NO, submitted=False)
    assert services.assignments_catch_up() == 2
    assert services.assignments_catch_up() == 0
    assert campaign.assignments.count() == 3


def test_a_yearly_campaign_opens_its_next_round_once_past_due(bob, carol, pack):
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(1), audience=Audience.STAFF, recurrence="yearly"
    )
    later = _due(2)
    assert services.campaigns_roll_over(today=_due(1)) == 0
    assert services.campaigns_roll_over(today=later) == 1
    assert services.campaigns_roll_over(today=later) == 0
    successor = campaign.next_round
    assert successor.due_date == _due(1).replace(year=_due(1).year + 1)
    assert successor.assignments.count() == 2


def test_an_election_campaign_opens_a_round_before_polling_day(bob, carol, pack):
    election = _due(60)
    campaign = services.campaign_launch(
        actor=bob,
        pack=pack,
        due_date=_due(5),
        audience=Audience.STAFF,
        recurrence="election",
        election_date=election,
    )
    assert services.campaigns_roll_over(today=_due(6)) == 0  # too early
    opens = election - datetime.timedelta(days=services.ELECTION_LEAD_DAYS)
    assert services.campaigns_roll_over(today=opens) == 1
    assert campaign.next_round.due_date == election - datetime.timedelta(days=1)
    assert services.campaigns_roll_over(today=opens) == 0


def test_the_launch_form_launches_and_lands_on_the_dashboard(client_for, bob, carol, pack):
    client = client_for(bob)
    assert client.get(reverse("compliance:campaign_new")).status_code == 200
    response = client.post(
        reverse("compliance:campaign_new"),
        {
            "pack": str(pack.public_id),
            "audience": "staff",
            "due_date": _due().isoformat(),
            "recurrence": "none",
            "remind_days_before": "7,1",
            "overdue_every_days": "7",
        },
    )
    assert response.status_code == 302
    assert Campaign.objects.get().assignments.count() == 2

    bad = client.post(reverse("compliance:campaign_new"), {"pack": str(pack.public_id)})
    assert bad.status_code == 400
    assert Campaign.objects.count() == 1


def test_completion_counts_current_active_members_by_status(bob, org_a, org_b, pack):
    from apps.assessments.models import Assessment

    def status_of(of, **filters):
        rows = selectors.completion_for_user(
            user=bob, filters=selectors.filters_for_user(user=bob, **filters)
        )
        (row,) = [r for r in rows if r["campaign"] == str(of.public_id)]
        return {k: row[k] for k in ("total", "not_started", "in_progress", "submitted")} | {
            "overdue": row["overdue"]
        }

    submitted = people(org_a, 3, pack, ALL_NO)
    started = people(org_a, 2, pack, ALL_NO, submitted=False)
    people(org_a, 2, pack, ALL_NO, submitted=False)  # assigned, never started this one
    campaign = services.campaign_launch(
        actor=bob, pack=pack, due_date=_due(), audience=Audience.STAFF
    )
    for user in [*submitted, *started]:
        Assignment.objects.filter(campaign=campaign, user=user).update(
            assessment=Assessment.objects.get(user=user)
        )
    everyone = Assignment.objects.filter(campaign=campaign).count()

    assert status_of(campaign) == {
        "total": everyone,
        "not_started": everyone - 5,
        "in_progress": 2,
        "submitted": 3,
        "overdue": 0,
    }

    # someone deactivated and someone who moved to another organisation no longer count
    submitted[0].is_active = False
    submitted[0].save(update_fields=["is_active"])
    started[0].membership.organisation = org_b
    started[0].membership.save(update_fields=["organisation"])
    assert status_of(campaign) == {
        "total": everyone - 2,
        "not_started": everyone - 5,
        "in_progress": 1,
        "submitted": 2,
        "overdue": 0,
    }

    # filtered by campaign and by another audience: the campaign is listed, with nobody
    assert status_of(campaign, campaign=campaign.public_id)["total"] == everyone - 2
    assert status_of(campaign, audience=Audience.PARLIAMENTARIAN) == {
        "total": 0,
        "not_started": 0,
        "in_progress": 0,
        "submitted": 0,
        "overdue": 0,
    }

    # past its due date, whoever has not submitted is overdue
    Campaign.objects.filter(pk=campaign.pk).update(
        due_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert status_of(campaign) == {
        "total": everyone - 2,
        "not_started": 0,
        "in_progress": 0,
        "submitted": 2,
        "overdue": everyone - 4,
    }
