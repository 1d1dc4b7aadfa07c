"""Browser: the demo org admin's dashboard (accessible, no script needed), launching a
campaign, and a member finding it on their home page. One test: seeding the demo (with its
people's reports) is the slow part."""

from __future__ import annotations

import datetime
from io import StringIO
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import User
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(db):
    call_command("load_catalogue", stdout=StringIO())
    # The demo people's PDF reports are not what this test is about: queue none, so
    # seeding does not render two dozen PDFs beside the other browser tests.
    with mock.patch("apps.reports.services.report_queue_for_score"):
        call_command("seed_demo", stdout=StringIO())
    return {
        "admin": User.objects.get(email="admin@commons.demo.example"),
        "mp": User.objects.get(email="mp@commons.demo.example"),
    }


def test_the_demo_admin_launches_a_campaign_and_the_mp_sees_it_at_home(
    demo, signed_in, live_server
):
    admin = signed_in(demo["admin"], bypass_csp=True)  # axe is injected as an inline script
    admin.goto(f"{live_server.url}/organisation/")
    expect(admin.get_by_role("heading", level=1)).to_have_text("Your organisation")
    expect(admin.locator("svg.portcullis-distribution").first).to_be_visible()
    expect(admin.locator("#plan-high-risk-individuals")).to_be_visible()
    assert axe_violations(admin) == []

    admin.get_by_role("link", name="Launch a campaign").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Launch a campaign")
    assert axe_violations(admin) == []
    admin.get_by_label("Cyber security for MPs, peers, their staff and candidates").check()
    admin.get_by_label("Who is it for?").select_option(label="Member of Parliament")
    due = timezone.localdate() + datetime.timedelta(days=30)
    admin.get_by_label("Due date", exact=True).fill(due.isoformat())
    admin.get_by_label("Name (optional)").fill("Spring check for MPs")
    admin.get_by_role("button", name="Launch campaign").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Your organisation")
    expect(admin.locator("#completion-table")).to_contain_text("Spring check for MPs")

    member = signed_in(demo["mp"])
    member.goto(f"{live_server.url}/")
    assignments = member.locator("#assignments")
    expect(assignments).to_contain_text("Spring check for MPs")
    expect(assignments).to_contain_text(due.strftime("%-d %B %Y"))
    assignments.get_by_role("button", name="Start").first.click()
    expect(member.get_by_role("heading", level=1)).not_to_have_text("Your assessments")
    member.goto(f"{live_server.url}/")
    # Started from the assignment: it now carries on that assessment.
    expect(member.locator("#assignments").get_by_role("button", name="Continue")).to_be_visible()

    # The same dashboard without JavaScript: filters, charts and tables all work.
    plain = signed_in(demo["admin"], javascript=False)
    plain.goto(f"{live_server.url}/organisation/?audience=staff")
    expect(plain.locator("svg.portcullis-distribution").first).to_be_visible()
    expect(plain.locator("#filter-audience")).to_have_value("staff")
    assert plain.csp_errors == []


def test_the_admin_pages_fit_a_phone_without_scrolling_sideways(demo, signed_in, live_server):
    # Wide tables scroll inside their own box; the page itself never scrolls sideways.
    admin = signed_in(demo["admin"], javascript=False, width=390)
    for path in ("/organisation/", "/organisation/people/", "/audit/", "/accounts/members/"):
        admin.goto(f"{live_server.url}{path}")
        width = admin.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
