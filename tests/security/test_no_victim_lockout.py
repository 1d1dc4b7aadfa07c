"""No victim lockout (SECURITY_TESTS, found by probing: "No victim lockout"; item 15).

Failures from many addresses never stop the real person signing in with the right password
and second factor: they are told (email, and a notice at their next sign-in), their org
admins are told, and past a higher threshold the person passes with an emailed link.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from apps.audit.models import AuditEvent
from tests.security.flows import MFA_URL, sign_in_mfa, sign_in_password, totp_code

pytestmark = pytest.mark.django_db

ALICE = "alice@example.org"


def _from(n: int) -> Client:
    return Client(REMOTE_ADDR=f"203.0.113.{n}")


def _fail_from_many(login: str, *, addresses: int, each: int) -> None:
    for n in range(1, addresses + 1):
        client = _from(n)
        for _ in range(each):
            sign_in_password(client, login, "wrong password")


def _sign_in_fully(client, email=ALICE):
    response = sign_in_password(client, email)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == MFA_URL
    return sign_in_mfa(client, totp_code())


def test_fifty_failures_from_ten_addresses_do_not_lock_the_person_out(alice, bob):
    _fail_from_many(ALICE, addresses=10, each=5)

    person = _from(99)
    done = _sign_in_fully(person)

    assert done.status_code == 302
    assert done["Location"] == "/"
    assert person.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="login.succeeded", subject=alice).count() == 1


def test_the_person_and_their_org_admin_are_emailed_and_the_person_sees_a_notice(alice, bob):
    _fail_from_many(ALICE, addresses=10, each=5)

    alerts = [m for m in mail.outbox if "Failed attempts to sign in" in m.subject]
    assert [m.to for m in alerts] == [[ALICE], ["bob@example.org"]]
    assert "Nobody got in" in alerts[0].body
    assert "Alice Member MP" in alerts[1].body
    assert AuditEvent.objects.filter(action="login.attack_alerted", subject=alice).count() == 1

    person = _from(99)
    _sign_in_fully(person)
    page = person.get("/").content.decode()
    assert "Since you last signed in, there were 50 failed attempts" in page
    # Told once: the next sign-in starts counting again.
    person.post("/accounts/logout/")
    again = _from(98)
    _sign_in_fully(again)
    assert "failed attempt" not in again.get("/").content.decode()


def test_wrong_second_factor_codes_count_and_the_alert_says_the_password_is_known(
    alice, bob, settings
):
    settings.SIGN_IN_ALERT_THRESHOLD = 6
    for n in range(1, 7):
        attacker = _from(n)
        assert sign_in_password(attacker, ALICE)["Location"] == MFA_URL
        assert sign_in_mfa(attacker, "000000").status_code == 200

    alert = next(m for m in mail.outbox if m.to == [ALICE])
    assert "6 of them had your password right" in alert.body
    # The codes did not lock the person out either.
    person = _from(99)
    assert _sign_in_fully(person)["Location"] == "/"
    assert "got your password right but not your code" in person.get("/").content.decode()
    # ...and the Security page it points to offers the change.
    assert 'href="/accounts/password/change/"' in person.get("/accounts/2fa/").content.decode()


@pytest.fixture
def guarded(settings):
    settings.SIGN_IN_ALERT_THRESHOLD = 4
    settings.SIGN_IN_GUARD_THRESHOLD = 8


def _pass_link() -> str:
    message = next(m for m in mail.outbox if "Your link to sign in" in m.subject)
    return re.search(r"https?://\S+/accounts/sign-in-pass/\S+/", message.body).group(0)


def test_past_the_guard_threshold_the_holder_passes_with_the_emailed_link(alice, guarded):
    _fail_from_many(ALICE, addresses=4, each=2)

    person = _from(99)
    refused = sign_in_password(person, ALICE)
    assert refused.status_code == 200
    assert "needs a link we have emailed" in refused.content.decode()
    assert AuditEvent.objects.filter(action="login.guarded", subject=alice).exists()

    path = _pass_link().split("://", 1)[1].split("/", 1)[1]
    assert person.get(f"/{path}").status_code == 200  # GET changes nothing
    assert sign_in_password(person, ALICE).status_code == 200
    assert person.post(f"/{path}")["Location"] == "/accounts/login/"

    assert _sign_in_fully(person)["Location"] == "/"
    # Another browser (the attacker's) is still refused, even with the right password.
    assert "needs a link" in sign_in_password(_from(7), ALICE).content.decode()


def test_the_guard_answers_alike_for_unknown_accounts(alice, guarded):
    _fail_from_many(ALICE, addresses=4, each=2)
    _fail_from_many("nobody@example.org", addresses=4, each=2)
    mail.outbox.clear()

    known = sign_in_password(_from(50), ALICE, "a guess")
    unknown = sign_in_password(_from(51), "nobody@example.org", "a guess")

    assert known.status_code == unknown.status_code == 200
    assert "needs a link we have emailed" in known.content.decode()
    assert "needs a link we have emailed" in unknown.content.decode()
    assert [m.to for m in mail.outbox] == [[ALICE]]


def test_the_pass_link_works_once_and_only_signed(alice, guarded):
    _fail_from_many(ALICE, addresses=4, each=2)
    sign_in_password(_from(99), ALICE)
    path = "/" + _pass_link().split("://", 1)[1].split("/", 1)[1]

    assert Client().post(path).status_code == 302
    assert Client().post(path).status_code == 410
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert Client().post(tampered).status_code == 410


def test_the_guard_stops_code_guessing_at_the_second_step_too(alice, guarded):
    attacker = _from(1)
    assert sign_in_password(attacker, ALICE)["Location"] == MFA_URL
    _fail_from_many(ALICE, addresses=4, each=2)

    response = sign_in_mfa(attacker, totp_code())

    assert response.status_code == 200
    assert "needs a link we have emailed" in response.content.decode()
    assert not AuditEvent.objects.filter(action="login.succeeded").exists()
