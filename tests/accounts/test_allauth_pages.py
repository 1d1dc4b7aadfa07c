"""allauth's pages render inside our layout, with GOV.UK markup and working forms."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from apps.accounts.models import User
from tests.factories import MembershipFactory, UserFactory
from tests.security.flows import sign_in_password

pytestmark = pytest.mark.django_db


def _assert_our_layout(response):
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="govuk-header' in body
    assert "portcullis.css" in body
    return body


@pytest.mark.parametrize(
    "name",
    ["account_login", "account_reset_password", "account_reset_password_done"],
)
def test_signed_out_pages(client, name):
    body = _assert_our_layout(client.get(reverse(name)))
    assert 'class="govuk-heading-l"' in body


def test_the_login_page_has_labelled_fields_and_no_sign_up_link(client, db):
    body = _assert_our_layout(client.get(reverse("account_login")))

    assert '<label class="govuk-label" for="id_login">' in body
    assert '<label class="govuk-label" for="id_password">' in body
    assert "/accounts/signup/" not in body
    assert "I have forgotten my password" in body


def test_a_failed_login_shows_the_error_summary(client, alice):
    body = client.post(
        reverse("account_login"), {"login": "alice@example.org", "password": "x"}
    ).content.decode()

    assert 'class="govuk-error-summary"' in body
    assert "There is a problem" in body
    assert "<title>Error: Sign in" in body


def test_the_mfa_step_page(client, alice):
    sign_in_password(client, "alice@example.org")
    body = _assert_our_layout(client.get(reverse("mfa_authenticate")))

    assert '<label class="govuk-label" for="id_code">' in body
    assert "Use a security key" in body


def test_there_is_no_self_sign_up(client, db):
    page = client.get("/accounts/signup/")
    assert "Accounts are created by invitation" in _assert_our_layout(page)

    client.post(
        "/accounts/signup/",
        {
            "email": "x@example.org",
            "password1": "a long passphrase 9",
            "password2": "a long passphrase 9",
        },
    )

    assert not User.objects.exists()


@pytest.mark.parametrize("name", ["mfa_index", "mfa_activate_totp", "mfa_add_webauthn"])
def test_enrolment_pages_for_someone_without_mfa(client, org_a, name):
    user = UserFactory(email="new@example.org", with_mfa=False)
    MembershipFactory(user=user, organisation=org_a)
    client.force_login(user)
    session = client.session
    session["portcullis_session_started"] = time.time()  # as if just signed in
    session.save()

    body = _assert_our_layout(client.get(reverse(name)))

    if name == "mfa_activate_totp":
        assert re.search(r'<img class="portcullis-qr" src="data:image/svg\+xml;base64,', body)
        assert 'id="authenticator_secret"' in body


def test_viewing_recovery_codes_asks_to_confirm_the_password_first(client_for, alice):
    codes = RecoveryCodes.activate(alice).get_unused_codes()
    client = client_for(alice)

    asked = client.get(reverse("mfa_view_recovery_codes"))
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    _assert_our_layout(client.get(asked["Location"]))
    confirmed = client.post(asked["Location"], {"password": "correct horse battery staple"})
    assert confirmed["Location"] == reverse("mfa_view_recovery_codes")

    body = _assert_our_layout(client.get(reverse("mfa_view_recovery_codes")))
    assert 'class="govuk-textarea' in body
    assert codes[0] in body
