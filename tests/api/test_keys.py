"""API keys: issued after re-authentication, shown once, stored as a keyed hash, scoped,
expiring, revocable at once, and every use in the audit trail (SECURITY_TESTS 14, 17)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.api.models import ApiKey
from apps.api.services import api_key_issue, api_key_revoke
from apps.audit.models import AuditEvent
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _recently_authenticated(user) -> Client:
    client = Client()
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _issue_form(days=30, scopes=("read:compliance",)):
    return {
        "name": "Intune sync",
        "scopes": list(scopes),
        "expires_on": (timezone.localdate() + timedelta(days=days)).isoformat(),
    }


def test_issuing_a_key_needs_a_fresh_reauthentication(bob):
    client = Client()
    client.force_login(bob)
    response = client.post(reverse("api_keys:issue"), _issue_form())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not ApiKey.objects.exists()


def test_the_key_is_shown_once_and_only_its_hash_and_prefix_are_stored(bob):
    client = _recently_authenticated(bob)
    response = client.post(reverse("api_keys:issue"), _issue_form())
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get()
    raw = response.context["raw_key"]
    assert raw.startswith(key.prefix + "_")
    assert raw in response.content.decode()
    # Nowhere in the table, in any column, and never on the list page.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiKey._meta.db_table}")  # noqa: S608
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert raw not in stored
    secret_part = raw.split("_", 2)[2]
    assert secret_part not in stored
    listing = client.get(reverse("api_keys:list")).content.decode()
    assert key.prefix in listing
    assert secret_part not in listing
    assert AuditEvent.objects.filter(action="api_key.issued", actor=bob).count() == 1


def test_an_expiry_beyond_a_year_is_refused(bob):
    client = _recently_authenticated(bob)
    response = client.post(reverse("api_keys:issue"), _issue_form(days=400))
    assert response.status_code == 400
    assert "at most one year" in response.content.decode()
    assert not ApiKey.objects.exists()
    with pytest.raises(ValidationError):
        api_key_issue(
            actor=bob,
            organisation=bob.membership.organisation,
            name="x",
            scopes=["read:compliance"],
            expires_at=None,
        )


def test_members_and_other_organisations_admins_cannot_issue(alice, dave, org_a):
    for actor in (alice, dave):
        with pytest.raises(PermissionDenied):
            api_key_issue(
                actor=actor,
                organisation=org_a,
                name="x",
                scopes=["read:compliance"],
                expires_at=timezone.now() + timedelta(days=1),
            )
    assert not ApiKey.objects.exists()


def test_unknown_scopes_are_refused(bob):
    with pytest.raises(ValidationError):
        api_key_issue(
            actor=bob,
            organisation=bob.membership.organisation,
            name="x",
            scopes=["write:everything"],
            expires_at=timezone.now() + timedelta(days=1),
        )


def test_a_revoked_key_stops_working_at_once(bob, api, key_a):
    client = api(key_a)
    assert client.get("/api/v1/whoami/").status_code == 200
    api_key_revoke(actor=bob, key=ApiKey.objects.get())
    response = client.get("/api/v1/whoami/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    denied = AuditEvent.objects.filter(action="api.request", outcome="denied").get()
    assert denied.detail["reason"] == "revoked"


def test_an_expired_key_gets_401(api, key_a):
    with time_machine.travel(timezone.now() + timedelta(days=91)):
        assert api(key_a).get("/api/v1/whoami/").status_code == 401


def test_a_wrong_or_mangled_key_gets_401(api, key_a):
    for wrong in (key_a[:-1] + ("A" if key_a[-1] != "A" else "B"), "pcl_nothing", "x" * 500):
        assert api(wrong).get("/api/v1/whoami/").status_code == 401


def test_every_use_is_in_the_audit_trail_with_last_used_time(api, key_a, alice):
    api(key_a).get("/api/v1/members/")
    event = AuditEvent.objects.filter(action="api.request").get()
    key = ApiKey.objects.get()
    assert event.actor is None
    assert event.actor_label == f"api-key {key.prefix} (Org A sync)"
    assert event.detail["api_key"] == str(key.public_id)
    assert event.detail["path"] == "/api/v1/members/"
    assert event.detail["status"] == 200
    assert event.organisation_id == key.organisation_id
    assert key.last_used_at is not None


def test_a_key_opens_neither_html_pages_nor_the_admin(key_a):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key_a}")
    for url in ("/", reverse("accounts:member_list"), "/admin/", reverse("api_keys:list")):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login/" in response["Location"]


def test_the_org_admin_revokes_from_the_browser(bob, key_a, api):
    client = Client()
    client.force_login(bob)
    key = ApiKey.objects.get()
    response = client.post(reverse("api_keys:revoke", args=[key.public_id]))
    assert response.status_code == 302
    assert api(key_a).get("/api/v1/whoami/").status_code == 401


def test_development_keys_survive_a_restart(settings, tmp_path, bob, issue_key, api):
    """Without API_KEY_HMAC_KEY, development keeps a generated secret under var/: the
    random development SECRET_KEY of the next process does not orphan issued keys."""
    settings.API_KEY_HMAC_KEY = ""
    settings.API_KEY_HMAC_KEY_FILE = tmp_path / "var" / "api-key-hmac.key"
    raw = issue_key(bob)
    secret_file = settings.API_KEY_HMAC_KEY_FILE
    assert secret_file.stat().st_mode & 0o777 == 0o600

    # "Restart": another random SECRET_KEY, and the secret read again from the file.
    settings.SECRET_KEY = "dev-insecure-" + "another-process" * 4
    settings.API_KEY_HMAC_KEY_FILE = tmp_path / "var" / "api-key-hmac.key"
    assert api(raw).get("/api/v1/whoami/").status_code == 200
    # A different secret file (another checkout) does not open it.
    settings.API_KEY_HMAC_KEY_FILE = tmp_path / "elsewhere" / "api-key-hmac.key"
    assert api(raw).get("/api/v1/whoami/").status_code == 401


def test_production_derives_the_secret_from_secret_key_and_writes_no_file(settings, tmp_path):
    from apps.api.services import key_digest

    settings.API_KEY_HMAC_KEY = ""
    settings.API_KEY_HMAC_KEY_FILE = tmp_path / "api-key-hmac.key"
    settings.PRODUCTION = True
    settings.SECRET_KEY = "production-" + "k" * 50
    first = key_digest("pcl_12345678_abc")
    assert not settings.API_KEY_HMAC_KEY_FILE.exists()
    settings.SECRET_KEY = "production-" + "j" * 50
    assert key_digest("pcl_12345678_abc") != first
    settings.API_KEY_HMAC_KEY = "an explicit secret"
    assert key_digest("pcl_12345678_abc") not in (first, "")


def test_a_refused_look_at_another_organisations_object_is_audited(
    api, api_session, key_a, key_b, alice, bob, charlie, dave, alice_assessment
):
    def denied():
        return AuditEvent.objects.filter(action="access.denied", outcome="denied")

    # Org B's key asks for alice's assessment: 404, recorded against the key.
    response = api(key_b).get(f"/api/v1/assessments/{alice_assessment.public_id}/answers/")
    assert response.status_code == 404
    event = denied().get()
    assert event.actor is None and event.actor_label.startswith("api-key ")
    assert (event.subject, event.organisation) == (alice, alice_assessment.organisation)
    assert event.object_id == str(alice_assessment.public_id)
    assert event.detail["api_key"] == str(ApiKey.objects.get(name="Org B sync").public_id)

    # Org B's admin, signed in, asks for bob's membership: recorded against dave.
    membership = bob.membership
    assert api_session(dave).get(f"/api/v1/members/{membership.public_id}/").status_code == 404
    event = denied().latest("occurred_at")
    assert (event.actor, event.subject) == (dave, bob)

    # Probing a UUID that names nothing records nothing, as on the pages.
    before = denied().count()
    ghost = "00000000-0000-0000-0000-000000000000"
    assert api(key_b).get(f"/api/v1/assessments/{ghost}/").status_code == 404
    assert api(key_b).get("/api/v1/no-such-route/").status_code == 404
    assert denied().count() == before
    # A member of org B, signed in, asking for alice's assessment is recorded too.
    charlie_client = api_session(charlie)
    assert (
        charlie_client.get(f"/api/v1/assessments/{alice_assessment.public_id}/").status_code == 404
    )
    assert denied().count() == before + 1
