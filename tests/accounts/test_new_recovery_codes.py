"""After setting up the authenticator app, the new recovery codes are shown once, in our style.

allauth used to send the person to its recovery-codes page, which asked for the password
again ("Confirm access"); people navigated away and never saw their codes.
"""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from apps.accounts.views import NEW_CODES_KEY, NEW_CODES_WINDOW_SECONDS
from tests.factories import MembershipFactory, UserFactory
from tests.security.flows import totp_code

pytestmark = pytest.mark.django_db


def _codes(user) -> list[str]:
    rc = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return rc.wrap().get_unused_codes()


@pytest.fixture
def enrolled(client, org_a, django_capture_on_commit_callbacks):
    """A newcomer just signed in, sets up the app; returns (user, the response)."""
    user = UserFactory(email="new@example.org", with_mfa=False)
    MembershipFactory(user=user, organisation=org_a)
    client.force_login(user)
    session = client.session
    session["portcullis_session_started"] = time.time()
    session.save()
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = re.search(r'id="authenticator_secret"[^>]*value="([A-Z2-7]+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    return user, response


def test_setting_up_the_app_leads_straight_to_the_codes_without_a_password_prompt(client, enrolled):
    user, response = enrolled
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:new_recovery_codes")

    page = client.get(response["Location"])

    assert page.status_code == 200
    body = page.content.decode()
    assert 'class="govuk-header' in body
    assert "<h1" in body and "Save your recovery codes" in body
    codes = _codes(user)
    assert len(codes) == 10
    assert all(code in body for code in codes)
    assert "Confirm" + " access" not in body


def test_the_codes_download_as_a_text_file(client, enrolled):
    user, _ = enrolled
    download = client.get(reverse("accounts:new_recovery_codes_download"))

    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/plain")
    assert "attachment" in download["Content-Disposition"]
    text = download.content.decode()
    assert all(code in text for code in _codes(user))


def test_moving_on_needs_the_i_have_stored_them_confirmation(client, enrolled):
    url = reverse("accounts:new_recovery_codes")

    refused = client.post(url, {})
    assert refused.status_code == 400
    assert "There is a problem" in refused.content.decode()
    assert client.get(url).status_code == 200  # still shown

    done = client.post(url, {"stored": "yes"})
    assert done.status_code == 302
    assert done["Location"] == reverse("home")
    # Shown once: afterwards the page (and the download) send you to the 2FA settings,
    # where seeing the codes again needs the password.
    assert client.get(url)["Location"] == reverse("mfa_index")
    assert client.get(reverse("accounts:new_recovery_codes_download"))["Location"] == reverse(
        "mfa_index"
    )


def test_the_codes_are_not_shown_without_having_just_set_up_the_app(client_for, alice):
    client = client_for(alice)
    assert client.get(reverse("accounts:new_recovery_codes"))["Location"] == reverse("mfa_index")
    download = client.get(reverse("accounts:new_recovery_codes_download"))
    assert download["Location"] == reverse("mfa_index")


def test_the_chance_to_see_them_runs_out(client, enrolled):
    session = client.session
    session[NEW_CODES_KEY] = time.time() - NEW_CODES_WINDOW_SECONDS - 1
    session.save()

    assert client.get(reverse("accounts:new_recovery_codes"))["Location"] == reverse("mfa_index")
