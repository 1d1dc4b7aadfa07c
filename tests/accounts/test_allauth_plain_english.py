"""Every allauth page a person meets reads in the site's plain English.

Walks the rendered HTML: headings in sentence case, labelled inputs without placeholders
(the label says what to enter), and never the word "reauthenticate" on screen.
"""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from apps.accounts.views import NEW_CODES_KEY
from tests.factories import MembershipFactory, UserFactory
from tests.security.flows import sign_in_password

pytestmark = pytest.mark.django_db

# Words that keep their capital letter inside a sentence-case heading.
PROPER_NOUNS = {"Portcullis", "I"}


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.h1s: list[str] = []
        self.labels: set[str] = set()
        self.inputs: list[dict] = []
        self.text: list[str] = []
        self._in_h1 = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "h1":
            self._in_h1 = True
            self.h1s.append("")
        elif tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        elif tag in ("input", "textarea"):
            self.inputs.append(attrs)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._skip:
            return
        self.text.append(data)
        if self._in_h1:
            self.h1s[-1] += data


def _problems(html: str) -> list[str]:
    page = _Page()
    page.feed(html)
    found = []
    if len(page.h1s) != 1:
        found.append(f"{len(page.h1s)} h1s")
    for h1 in page.h1s:
        words = h1.split()
        for word in words[1:]:
            bare = word.strip(".,:;!?()'\"")
            if bare[:1].isupper() and bare not in PROPER_NOUNS:
                found.append(f"heading not in sentence case: {h1.strip()!r}")
                break
    for field in page.inputs:
        if field.get("id") in page.labels and "placeholder" in field:
            found.append(f"placeholder on labelled input #{field['id']}")
    if "reauthenticat" in " ".join(page.text).lower():
        found.append('"reauthenticate" on screen')
    return found


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


SIGNED_OUT = [
    "account_login",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key_done",
    "account_email_verification_sent",
]


@pytest.mark.parametrize("name", SIGNED_OUT)
def test_signed_out_pages_read_plainly(client, name):
    assert _problems(_get(client, reverse(name))) == []


def test_a_password_reset_link_that_does_not_work_reads_plainly(client):
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": "x", "key": "y-z"})
    assert _problems(_get(client, url)) == []


def test_the_second_step_of_signing_in_reads_plainly(client, alice):
    sign_in_password(client, "alice@example.org")
    assert _problems(_get(client, reverse("mfa_authenticate"))) == []


@pytest.mark.parametrize(
    "name",
    [
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
    ],
)
def test_pages_for_someone_setting_up(client, org_a, name):
    user = UserFactory(email="new@example.org", with_mfa=False)
    MembershipFactory(user=user, organisation=org_a)
    client.force_login(user)
    session = client.session
    session["portcullis_session_started"] = time.time()
    session.save()

    assert _problems(_get(client, reverse(name))) == []


@pytest.mark.parametrize("name", ["account_reauthenticate", "mfa_reauthenticate"])
def test_confirming_it_is_you_reads_plainly(client_for, alice, name):
    client = client_for(alice)
    html = _get(client, reverse(name))
    assert _problems(html) == []
    assert "Confirm it is you" in html


@pytest.mark.parametrize(
    "name",
    [
        "mfa_view_recovery_codes",
        "mfa_generate_recovery_codes",
        "mfa_deactivate_totp",
        "account_change_password",
        "account_email",
        "account_logout",
    ],
)
def test_pages_for_someone_with_mfa_after_confirming(client_for, alice, name):
    RecoveryCodes.activate(alice)
    client = client_for(alice)
    client.post(reverse("account_reauthenticate"), {"password": "correct horse battery staple"})

    assert _problems(_get(client, reverse(name))) == []


def test_the_new_recovery_codes_page_reads_plainly(client_for, alice):
    RecoveryCodes.activate(alice)
    client = client_for(alice)
    session = client.session
    session[NEW_CODES_KEY] = time.time()
    session.save()

    assert _problems(_get(client, reverse("accounts:new_recovery_codes"))) == []


def test_the_checker_catches_what_it_is_for():
    """The checks above would fail on allauth's own wording and the old sign-in page."""
    assert _problems("<h1>Confirm Access</h1><p>Please reauthenticate.</p>") == [
        "heading not in sentence case: 'Confirm Access'",
        '"reauthenticate" on screen',
    ]
    html = '<h1>Sign in</h1><label for="e">Email</label><input id="e" placeholder="Email">'
    assert _problems(html) == ["placeholder on labelled input #e"]
