"""The audit trail as an org admin meets it: from the header, accessible, filterable
without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.audit.services import audit_record
from tests.e2e.conftest import axe_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_org_admin_reaches_and_filters_the_audit_trail(
    signed_in, live_server, bob, alice, org_a
):
    audit_record(actor=alice, action="login.succeeded", organisation=org_a, subject=alice)
    audit_record(
        actor=bob, action="access.denied", organisation=org_a, subject=alice, outcome="denied"
    )
    page = signed_in(bob, javascript=False, bypass_csp=True)

    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Audit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    expect(page.get_by_role("table")).to_contain_text("login.succeeded")

    page.get_by_label("Outcome").select_option("denied")
    page.get_by_role("button", name="Show events").click()

    table = page.get_by_role("table")
    expect(table).to_contain_text("access.denied")
    expect(table).not_to_contain_text("login.succeeded")
    # The export keeps the filters on screen.
    export = page.get_by_role("link", name="Download these events (CSV)")
    assert "outcome=denied" in export.get_attribute("href")
    assert axe_violations_with_js(page) == []


def axe_violations_with_js(page):
    """axe needs JavaScript: the same page, reopened with it on."""
    context = page.context.browser.new_context(bypass_csp=True)
    context.add_cookies(page.context.cookies())
    checked = context.new_page()
    checked.goto(page.url)
    try:
        return axe_violations(checked)
    finally:
        context.close()
