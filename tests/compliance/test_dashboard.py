"""The organisation dashboard, the plan and their privacy rules (issue 10)."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.accounts.models import Audience
from apps.audit.models import AuditEvent
from apps.compliance import selectors
from tests.compliance.builders import ALL_NO, TWO_STEP_ONLY, people

pytestmark = pytest.mark.django_db


def _results(bob, **filters):
    return selectors.dashboard_for_user(
        user=bob, filters=selectors.filters_for_user(user=bob, **filters)
    )["results"]


def test_the_hand_built_organisation_plan_matches_the_sums_done_by_hand(bob, org_a, pack):
    # Staff see no T-DEV-02. Everything "no": R1 = 1, R2 = 1, R3 = 0.5 -> exposure 0.5.
    # T-ACC-01 alone: R2 = 0.1 -> 0.05 (cut 0.45). T-DEV-01 alone: R3 = 0.15 -> 0.15
    # (cut 0.35). T-ACC-02 alone: R1.1 = 0.3, R1.2 = 0.7, R1 = 1 - 0.7 * 0.3 = 0.79 ->
    # 0.395 (cut 0.105). T-ACC-03 alone leaves R1.1 at 1 (cut 0); T-GOV-01 guards nothing.
    # With 2-step on: exposure 0.05; T-DEV-01 cuts 0.035, T-ACC-02 0.0105.
    people(org_a, 3, pack, ALL_NO)
    people(org_a, 2, pack, TWO_STEP_ONLY)

    plan = selectors.organisation_plan_for_user(user=bob)

    assert plan["hidden"] is False
    (test_pack,) = plan["packs"]
    assert test_pack["people"] == 5
    assert test_pack["exposure"] == 32  # (3 × 0.5 + 2 × 0.05) / 5
    steps = {s["control"]: s for s in test_pack["steps"]}
    assert [s["control"] for s in test_pack["steps"]] == ["T-ACC-01", "T-DEV-01", "T-ACC-02"]
    assert steps["T-ACC-01"]["people"] == 3
    assert steps["T-ACC-01"]["cut"] == 27.0  # 3 × 0.45 / 5
    assert steps["T-ACC-01"]["exposure_after"] == 5
    assert steps["T-DEV-01"]["people"] == 5
    assert steps["T-DEV-01"]["cut"] == 22.4  # (3 × 0.35 + 2 × 0.035) / 5
    assert steps["T-DEV-01"]["exposure_after"] == 10
    assert steps["T-ACC-02"]["cut"] == 6.7  # (3 × 0.105 + 2 × 0.0105) / 5
    assert steps["T-ACC-01"]["title"] == "Turn on 2-step verification on personal email"


def test_the_distribution_counts_people_by_band_and_baseline(bob, org_a, pack):
    people(org_a, 3, pack, ALL_NO)  # 0.5: high (bands 0.2 / 0.5 / 0.8)
    people(org_a, 2, pack, TWO_STEP_ONLY)  # 0.05: low

    results = _results(bob)

    assert results["people"] == 5
    assert results["baseline_not_met"] == 3  # T-ACC-01 is critical
    assert results["baseline_not_met_percent"] == 60
    (scenario,) = results["scenarios"]
    assert scenario["title"] == "Account takeover"
    assert {b["band"]: b["count"] for b in scenario["bands"]} == {
        "low": 2,
        "moderate": 0,
        "high": 3,
        "critical": 0,
    }


@pytest.mark.parametrize(("submitted", "shown"), [(4, False), (5, True)])
def test_k_anonymity_boundary_on_every_chart_table_and_export(
    client_for, bob, org_a, pack, submitted, shown
):
    people(org_a, submitted, pack, ALL_NO)
    people(org_a, 3, pack, ALL_NO, submitted=False)  # in progress: never counted

    assert _results(bob)["hidden"] is not shown
    assert selectors.organisation_plan_for_user(user=bob)["hidden"] is not shown

    client = client_for(bob)
    page = client.get(reverse("compliance:dashboard")).content.decode()
    assert ("portcullis-distribution" in page) is shown
    assert ('id="results-hidden"' in page) is not shown
    assert ('id="plan-test-pack"' in page) is shown
    assert ('id="plan-hidden"' in page) is not shown
    for kind in ("results", "plan"):
        body = client.post(reverse("compliance:export", args=[kind, "csv"]))
        text = b"".join(body.streaming_content).decode("utf-8-sig")
        assert ("Hidden: fewer than 5 people" in text) is not shown, kind
        assert ("Account takeover" in text or "T-ACC-01" in text) is shown, kind
        xlsx = client.post(reverse("compliance:export", args=[kind, "xlsx"]))
        values = _xlsx_values(b"".join(xlsx.streaming_content))
        assert any("Hidden: fewer than 5" in str(v) for v in values) is not shown, kind


def test_the_threshold_counts_the_filtered_group(bob, org_a, pack):
    people(org_a, 5, pack, ALL_NO, audience=Audience.STAFF)
    people(org_a, 4, pack, ALL_NO, audience=Audience.PARLIAMENTARIAN)

    assert _results(bob)["people"] == 9
    assert _results(bob, audience="staff")["people"] == 5
    assert _results(bob, audience="parliamentarian")["hidden"] is True


def _xlsx_values(content: bytes) -> list:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return [cell.value for row in sheet.iter_rows() for cell in row]


def test_exports_neutralise_formulas_and_keep_numbers(client_for, bob, org_a, pack):
    users = people(org_a, 5, pack, ALL_NO)
    users[0].full_name = '=HYPERLINK("http://evil.example","x")'
    users[0].save(update_fields=["full_name"])
    users[1].full_name = "+cmd|' /C calc'!A0"
    users[1].save(update_fields=["full_name"])
    users[2].full_name = "\tTabbed"
    users[2].save(update_fields=["full_name"])
    client = client_for(bob)

    response = client.post(reverse("compliance:export", args=["members", "csv"]))
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","x")' in names
    assert "'+cmd|' /C calc'!A0" in names
    assert "'\tTabbed" in names
    assert not any(name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names)

    response = client.post(reverse("compliance:export", args=["members", "xlsx"]))
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [c for row in book.active.iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert '\'=HYPERLINK("http://evil.example","x")' in [c.value for c in cells]

    plan = client.post(reverse("compliance:export", args=["plan", "xlsx"]))
    plan_cells = [
        c
        for row in load_workbook(io.BytesIO(b"".join(plan.streaming_content))).active.iter_rows()
        for c in row
    ]
    assert any(isinstance(c.value, int | float) and c.data_type == "n" for c in plan_cells)

    events = AuditEvent.objects.filter(action="compliance.exported", actor=bob)
    assert events.count() == 3
    assert {e.detail["format"] for e in events} == {"csv", "xlsx"}


def test_people_on_two_versions_of_a_pack_are_counted_under_the_newest_title(bob, org_a, pack):
    from apps.catalogue.services import pack_load_data
    from tests.catalogue.packs import minimal_pack_data

    people(org_a, 3, pack, ALL_NO)  # high, on the first version
    newer = minimal_pack_data(version="2027.1")
    newer["scenarios"][0]["title"] = "Account takeover, revised"
    newer_pack = pack_load_data(newer).pack
    people(org_a, 2, newer_pack, TWO_STEP_ONLY)  # low, on the newer one

    (scenario,) = _results(bob)["scenarios"]
    assert scenario["id"] == "account-takeover"
    assert scenario["title"] == "Account takeover, revised"
    assert scenario["people"] == 5
    assert {b["band"]: b["count"] for b in scenario["bands"]} == {
        "low": 2,
        "moderate": 0,
        "high": 3,
        "critical": 0,
    }


def test_dashboard_selectors_run_the_same_queries_for_10_and_1000_members(bob, org_a, pack):
    def count():
        with CaptureQueriesContext(connection) as ctx:
            selectors.dashboard_for_user(user=bob)
            selectors.organisation_plan_for_user(user=bob)
            selectors.member_status_list_for_user(user=bob)
        return len(ctx.captured_queries)

    people(org_a, 10, pack, ALL_NO)
    small = count()
    people(org_a, 495, pack, ALL_NO)
    people(org_a, 495, pack, TWO_STEP_ONLY)
    large = count()

    assert _results(bob)["people"] == 1000
    assert small == large


def test_the_people_page_shows_a_page_at_a_time_in_the_same_queries(client_for, bob, org_a, pack):
    def page(number):
        with CaptureQueriesContext(connection) as ctx:
            found = selectors.member_status_page_for_user(user=bob, page=number, per_page=50)
        return found, len(ctx.captured_queries)

    people(org_a, 10, pack, ALL_NO)
    _, small = page(1)
    people(org_a, 100, pack, TWO_STEP_ONLY)
    first, large = page(1)
    last, _ = page(3)

    assert small == large
    assert (first["page"].number, first["page"].paginator.count) == (1, 111)  # and bob
    assert len(first["rows"]) == 50 and len(last["rows"]) == 11
    everyone = selectors.member_status_list_for_user(user=bob)
    assert [r["email"] for r in everyone[100:]] == [r["email"] for r in last["rows"]]
    assert last["rows"] == everyone[100:]  # the same row, band and link as in the export

    html = client_for(bob).get(reverse("compliance:members"), {"page": "2"}).content.decode()
    assert "Page 2 of 2 (111 people)" in html
    assert everyone[100]["email"] in html and everyone[0]["email"] not in html
    # Each band under its attack's title, never the scenario's internal key.
    (key,) = everyone[100]["bands"]
    title = pack.scenarios.get(key=key).title
    cell = html.split(f'data-member="{everyone[100]["email"]}"')[1].split("</tr>")[0]
    assert f"{title}:</span> <strong>{everyone[100]['bands'][key]}</strong>" in cell
    assert f"{key}:" not in cell


@pytest.mark.parametrize(
    "name", ["compliance:dashboard", "compliance:members", "compliance:campaign_new"]
)
def test_members_cannot_reach_admin_pages(client_for, alice, carol, name):
    for persona in (alice, carol):
        assert client_for(persona).get(reverse(name)).status_code == 404


@pytest.mark.parametrize("kind", ["members", "results", "plan"])
def test_members_cannot_export(client_for, alice, kind):
    response = client_for(alice).post(reverse("compliance:export", args=[kind, "csv"]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action="compliance.exported").exists()


def test_organisation_b_sees_nothing_of_organisation_a(client_for, bob, dave, org_a, pack):
    people(org_a, 6, pack, ALL_NO)
    import datetime

    from apps.compliance.services import campaign_launch

    campaign = campaign_launch(
        actor=bob, pack=pack, due_date=datetime.date.today(), audience=Audience.STAFF
    )
    assessment = org_a.assessments.first()
    client = client_for(dave)

    page = client.get(reverse("compliance:dashboard")).content.decode()
    assert campaign.name not in page
    assert (
        client.get(reverse("compliance:dashboard"), {"campaign": campaign.public_id}).status_code
        == 404
    )
    assert (
        client.get(reverse("compliance:open_detail", args=[assessment.public_id])).status_code
        == 404
    )
    members = client.get(reverse("compliance:members")).content.decode()
    assert f"@{org_a.pk}.example.org" not in members
    assert selectors.dashboard_for_user(user=dave)["results"]["hidden"] is True
    body = client.post(reverse("compliance:export", args=["members", "csv"]))
    assert f"@{org_a.pk}.example.org" not in b"".join(body.streaming_content).decode()


def test_a_bad_filter_is_a_clear_error(client_for, bob):
    response = client_for(bob).get(reverse("compliance:dashboard"), {"audience": "spies"})
    assert response.status_code == 400
    assert "Choose one of the audiences" in response.content.decode()


def test_the_dashboard_draws_svg_with_a_table_for_each_chart(client_for, bob, org_a, pack):
    people(org_a, 5, pack, ALL_NO)
    from apps.compliance.services import snapshot_take

    snapshot_take(organisation=org_a)
    page = client_for(bob).get(reverse("compliance:dashboard")).content.decode()

    assert page.count('role="img"') >= 2  # distribution and trend
    assert "portcullis-distribution-table" in page
    assert "portcullis-trend-table" in page
    assert "<script" not in page.split("</header>")[-1].split("<footer")[0]
