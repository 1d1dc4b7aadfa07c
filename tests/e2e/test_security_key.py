"""Adding a security key ends as setting up the authenticator app does (issue 15, point 6):
when the key is the person's first second step, the recovery codes it generated are shown
once, in the site's style, without another password prompt. Chromium's virtual
authenticator (CDP WebAuthn domain) plays the key."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse
from playwright.sync_api import expect

from tests.e2e.conftest import axe_violations
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _virtual_security_key(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def _plain_english(page):
    """Sentence-case heading, labels rather than placeholders, no serious axe finding."""
    heading = page.locator("h1").inner_text().strip()
    assert heading[1:] == heading[1:].lower() or heading == "Save your recovery codes", heading
    assert page.locator("input[placeholder]").count() == 0
    assert "reauthenticate" not in page.locator("main").inner_text().lower()
    assert axe_violations(page) == [], page.url


@pytest.fixture
def newcomer(org_a):
    user = UserFactory(email="keyholder@example.org", with_mfa=False)
    MembershipFactory(user=user, organisation=org_a)
    return user


def test_a_first_security_key_leads_to_the_codes_shown_once(signed_in, live_server, newcomer):
    page = signed_in(newcomer, bypass_csp=True)
    cdp, authenticator_id = _virtual_security_key(page)

    page.goto(live_server.url + reverse("mfa_index"))
    _plain_english(page)
    page.get_by_role("button", name="Add a security key").click()

    # Just signed in, so allauth does not ask to confirm it is them (covered elsewhere).
    expect(page.locator("h1")).to_have_text("Add a security key")
    assert page.title().startswith("Security keys")
    _plain_english(page)
    expect(page.get_by_label("Name")).to_have_value("Security key")
    page.get_by_label("Name").fill("Blue YubiKey")
    page.get_by_role("button", name="Add security key").click()

    # Straight to the codes, in our layout: no second password prompt, no allauth page.
    expect(page.locator("h1")).to_have_text("Save your recovery codes")
    assert page.url.endswith(reverse("accounts:new_recovery_codes"))
    expect(page.get_by_text("If you lose your security key")).to_be_visible()
    expect(page.get_by_text("Security key added.")).to_be_visible()
    # The page itself says the codes are new: no banner about "old ones" for a newcomer.
    assert "no longer work" not in page.content()
    key = Authenticator.objects.get(user=newcomer, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Blue YubiKey"
    codes = (
        Authenticator.objects.get(user=newcomer, type=Authenticator.Type.RECOVERY_CODES)
        .wrap()
        .get_unused_codes()
    )
    shown = page.locator("#recovery-codes li").all_inner_texts()
    assert [c.strip() for c in shown] == codes
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(stored["credentials"]) == 1
    _plain_english(page)

    page.get_by_label("I have stored my recovery codes somewhere safe").check()
    page.get_by_role("button", name="Continue").click()
    assert page.url.rstrip("/") == live_server.url
    page.goto(live_server.url + reverse("accounts:new_recovery_codes"))
    assert codes[0] not in page.content()
