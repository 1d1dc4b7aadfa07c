"""The compliance routes (issue 11 over issue 10): the same figures as the dashboard, the
same k-anonymity rule, org admins and read:compliance keys of the organisation only."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from apps.api.models import Scope
from apps.compliance import selectors
from apps.compliance.services import campaign_launch
from tests.compliance.builders import ALL_NO, TWO_STEP_ONLY, people

pytestmark = pytest.mark.django_db

SUMMARY = "/api/v1/compliance/summary/"
PLAN = "/api/v1/compliance/plan/"


@pytest.fixture
def campaign(bob, alice, pack):
    return campaign_launch(
        actor=bob,
        pack=pack,
        due_date=timezone.localdate() + datetime.timedelta(days=30),
        audience="parliamentarian",
    )


def _routes(campaign):
    return [
        SUMMARY,
        PLAN,
        "/api/v1/campaigns/",
        f"/api/v1/campaigns/{campaign.public_id}/",
        f"/api/v1/campaigns/{campaign.public_id}/assignments/",
    ]


def test_k_anonymity_holds_through_the_api_at_the_boundary(bob, org_a, pack, key_a, api):
    client = api(key_a)
    people(org_a, 4, pack, ALL_NO)
    people(org_a, 3, pack, ALL_NO, submitted=False)  # not submitted: never counted

    results = client.get(SUMMARY).json()["results"]
    assert results == {"hidden": True, "min_people": 5}
    assert client.get(PLAN).json() == {"hidden": True, "min_people": 5, "packs": []}

    people(org_a, 1, pack, TWO_STEP_ONLY)
    results = client.get(SUMMARY).json()["results"]
    assert results["hidden"] is False
    assert results["people"] == 5
    bands = {b["band"]: b["count"] for b in results["scenarios"][0]["bands"]}
    assert sum(bands.values()) == 5
    plan = client.get(PLAN).json()
    assert plan["hidden"] is False and plan["packs"][0]["people"] == 5


def test_the_summary_is_the_dashboards_figures(bob, org_a, pack, key_a, api, campaign):
    people(org_a, 3, pack, ALL_NO)
    people(org_a, 2, pack, TWO_STEP_ONLY)
    got = api(key_a).get(SUMMARY).json()
    expected = selectors.dashboard_for_user(user=bob)
    assert got["results"]["people"] == expected["results"]["people"] == 5
    assert got["results"]["baseline_not_met"] == expected["results"]["baseline_not_met"]
    assert [c["campaign"] for c in got["completion"]] == [str(campaign.public_id)]
    assert got["completion"][0]["total"] == 1  # alice, the one parliamentarian


def test_filters_are_checked(key_a, api, campaign, key_b):
    client = api(key_a)
    ok = client.get(SUMMARY, {"campaign": str(campaign.public_id), "audience": "staff"})
    assert ok.status_code == 200
    assert ok.json()["filters"] == {"campaign": str(campaign.public_id), "audience": "staff"}
    bad = client.get(SUMMARY, {"audience": "astronaut"})
    assert bad.status_code == 400
    assert "audience" in bad.json()["errors"]
    # another organisation's campaign as a filter: 404, as for one that does not exist
    assert api(key_b).get(SUMMARY, {"campaign": str(campaign.public_id)}).status_code == 404
    assert client.get(SUMMARY, {"campaign": "not-a-uuid"}).status_code == 404


def test_campaigns_and_assignments_for_the_organisation(key_a, api, campaign, alice):
    client = api(key_a)
    listed = client.get("/api/v1/campaigns/").json()
    assert [c["id"] for c in listed["results"]] == [str(campaign.public_id)]
    detail = client.get(f"/api/v1/campaigns/{campaign.public_id}/").json()
    assert detail["due_date"] == campaign.due_date.isoformat()
    rows = client.get(f"/api/v1/campaigns/{campaign.public_id}/assignments/").json()["results"]
    assert rows == [
        {
            "member": str(alice.membership.public_id),
            "audience": "parliamentarian",
            "status": "not_started",
            "due_date": campaign.due_date.isoformat(),
        }
    ]
    content = client.get(f"/api/v1/campaigns/{campaign.public_id}/assignments/").content
    assert alice.email.encode() not in content


def test_every_compliance_route_needs_read_compliance(bob, issue_key, api, campaign):
    others = [s for s in Scope.values if s != Scope.READ_COMPLIANCE]
    without = api(issue_key(bob, scopes=others))
    with_scope = api(issue_key(bob, scopes=[Scope.READ_COMPLIANCE]))
    for route in _routes(campaign):
        refused = without.get(route)
        assert refused.status_code == 403, route
        assert Scope.READ_COMPLIANCE in refused.json()["detail"]
        assert with_scope.get(route).status_code == 200, route


def test_org_admins_sessions_only(bob, alice, api_session, campaign):
    admin = api_session(bob)
    member = api_session(alice)
    for route in _routes(campaign):
        assert admin.get(route).status_code == 200, route
        assert member.get(route).status_code in (403, 404), route


def test_assignments_are_paged_in_the_database_in_the_same_queries(bob, org_a, pack, key_a, api):
    """The list is read a page at a time: the same queries for a handful of assigned
    members or 60 more, and the pages are the whole list's rows in order, with links."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def launch():
        return campaign_launch(
            actor=bob,
            pack=pack,
            due_date=timezone.localdate() + datetime.timedelta(days=30),
            audience="staff",
        )

    client = api(key_a)
    sql: list[str] = []

    def get(campaign, **params):
        route = f"/api/v1/campaigns/{campaign.public_id}/assignments/"
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(route, {"page_size": 3, **params})
        assert response.status_code == 200
        sql.extend(q["sql"] for q in ctx.captured_queries)
        return response.json(), len(ctx.captured_queries)

    people(org_a, 4, pack, ALL_NO)
    small_campaign = launch()
    get(small_campaign)  # the key's first use also records when it was last used
    small, small_queries = get(small_campaign)
    people(org_a, 60, pack, TWO_STEP_ONLY)
    large_campaign = launch()
    sql.clear()
    first, large_queries = get(large_campaign)
    # only the page's members are read, and none of anyone's results
    assert any("LIMIT 3" in q for q in sql)
    assert not any("scoring_score" in q for q in sql)
    total = first["count"]
    last_page = -(-total // 3)
    last, _ = get(large_campaign, page=last_page)

    assert total == small["count"] + 60
    assert small_queries == large_queries
    assert first["previous"] is None and "page=2" in first["next"]
    assert last["next"] is None and f"page={last_page - 1}" in last["previous"]
    everything, _ = get(large_campaign, page_size=100)
    members = [r["member"] for r in everything["results"]]
    assert len(members) == len(set(members)) == total
    assert [r["member"] for r in first["results"]] == members[:3]
    assert [r["member"] for r in last["results"]] == members[(last_page - 1) * 3 :]
    assert set(first["results"][0]) == {"member", "audience", "status", "due_date"}
    route = f"/api/v1/campaigns/{large_campaign.public_id}/assignments/"
    assert client.get(route, {"page": last_page + 1}).status_code == 404
