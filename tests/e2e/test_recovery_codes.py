"""An invited newcomer sets up the authenticator app and is shown the recovery codes once,
in the site's style, downloads them and confirms before moving on (issue 15, point 6).

Before, allauth said "A new set of recovery codes has been generated" and then showed its
own "Confirm access" password prompt; navigating away, the codes were never seen."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from playwright.sync_api import expect

from apps.accounts import services
from apps.accounts.models import Audience, Membership
from apps.accounts.selectors import invitation_token_for
from tests.e2e.conftest import axe_violations
from tests.security.flows import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a long and unusual passphrase"


def _invitation_path(bob, org_a, email="newcomer@example.org") -> str:
    invitation = services.member_invite(
        actor=bob,
        organisation=org_a,
        email=email,
        full_name="Nadia Newcomer",
        role=Membership.Role.ORG_ADMIN,
        audience=Audience.STAFF,
    )
    return reverse("accounts:invitation_accept", args=[invitation_token_for(invitation)])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_newcomer_sets_up_the_app_and_is_shown_the_codes_to_store(
    browser, live_server, bob, org_a, tmp_path, javascript
):
    context = browser.new_context(
        java_script_enabled=javascript, accept_downloads=True, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server.url + _invitation_path(bob, org_a))
        page.get_by_label("Create a password").fill(PASSWORD)
        page.get_by_label("Confirm your password").fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()

        page.get_by_role("button", name="Set up an authenticator app").click()
        expect(page.locator("h1")).to_have_text("Set up an authenticator app")
        if javascript:
            assert axe_violations(page) == []
        secret = page.locator("#authenticator_secret").input_value()
        # On the smallest phone the whole setup key shows, nothing cut off to scroll to.
        page.set_viewport_size({"width": 320, "height": 800})
        key_box = page.locator("#authenticator_secret")
        assert key_box.evaluate("e => e.scrollWidth <= e.clientWidth"), secret
        page.get_by_label("Authenticator code").fill(totp_code(secret))
        page.get_by_role("button", name="Turn on two-factor authentication").click()

        # Straight to the codes, in our layout: no password prompt, no unstyled page.
        expect(page.locator("h1")).to_have_text("Save your recovery codes")
        assert page.url.endswith(reverse("accounts:new_recovery_codes"))
        expect(page.locator(".govuk-header")).to_be_visible()
        body = page.content()
        assert "Confirm access" not in body and "Confirm Access" not in body
        assert "no longer work" not in body  # no banner about "old" codes for a newcomer
        rc = Authenticator.objects.get(
            user__email="newcomer@example.org", type=Authenticator.Type.RECOVERY_CODES
        )
        codes = rc.wrap().get_unused_codes()
        shown = page.locator("#recovery-codes li").all_inner_texts()
        assert [c.strip() for c in shown] == codes
        if javascript:
            assert axe_violations(page) == []

        with page.expect_download() as download_info:
            page.get_by_role("link", name="Download your recovery codes (text file)").click()
        saved = tmp_path / "codes.txt"
        download_info.value.save_as(saved)
        assert all(code in saved.read_text() for code in codes)

        # Moving on needs the confirmation.
        page.get_by_role("button", name="Continue").click()
        expect(page.locator(".govuk-error-summary")).to_contain_text(
            "Confirm that you have stored your recovery codes"
        )
        expect(page.locator("#recovery-codes li")).to_have_count(len(codes))
        if javascript:
            assert axe_violations(page) == []
        page.get_by_label("I have stored my recovery codes somewhere safe").check()
        page.get_by_role("button", name="Continue").click()
        assert page.url.rstrip("/") == live_server.url

        # Shown once: going back does not show them again.
        page.goto(live_server.url + reverse("accounts:new_recovery_codes"))
        assert codes[0] not in page.content()
    finally:
        context.close()


@pytest.mark.parametrize("name", ["account_login", "account_reset_password"])
def test_signed_out_allauth_pages_pass_axe(browser, live_server, db, name):
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + reverse(name))
        assert page.locator("input[placeholder]").count() == 0
        assert axe_violations(page) == []
    finally:
        context.close()


def test_confirm_it_is_you_passes_axe_and_never_says_reauthenticate(signed_in, live_server, alice):
    page = signed_in(alice, bypass_csp=True)
    page.goto(live_server.url + reverse("account_reauthenticate"))
    expect(page.locator("h1")).to_have_text("Confirm it is you")
    assert "reauthenticate" not in page.locator("main").inner_text().lower()
    assert page.locator("input[placeholder]").count() == 0
    assert axe_violations(page) == []


def test_a_long_email_address_wraps_on_a_small_phone(browser, live_server, bob, org_a):
    email = "christopher.montgomeryashworth.casework@parliament.example.org"
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        page.goto(live_server.url + _invitation_path(bob, org_a, email=email))
        expect(page.get_by_text(email)).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()
