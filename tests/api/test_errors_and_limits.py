"""One error format (RFC 9457), CSRF on session writes, throttling per key and per person,
pagination's ceiling, and the schema and its viewers for signed-in callers only."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance"}


def _is_problem(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_FIELDS
    assert body["status"] == status
    return body


def test_errors_are_problem_details(api, key_a, alice_assessment):
    client = api(key_a)
    _is_problem(client.get("/api/v1/no-such-route/"), 404)
    _is_problem(client.get("/api/v1/assessments/00000000-0000-0000-0000-000000000000/"), 404)
    _is_problem(APIClient().get("/api/v1/assessments/"), 401)
    body = _is_problem(
        client.post(
            f"/api/v1/assessments/{alice_assessment.public_id}/answers/",
            {"answers": [{"control": "T-ACC-01", "answer": "maybe"}]},
            format="json",
        ),
        400,
    )
    assert "T-ACC-01" in body["errors"]
    assert body["instance"] == f"/api/v1/assessments/{alice_assessment.public_id}/answers/"


def test_a_bad_bulk_write_changes_nothing(api, key_a, alice_assessment):
    from apps.assessments.models import Answer

    response = api(key_a).post(
        f"/api/v1/assessments/{alice_assessment.public_id}/answers/",
        {
            "answers": [
                {"control": "T-ACC-01", "answer": "yes"},
                {"control": "NO-SUCH", "answer": "yes"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"NO-SUCH"}
    assert not Answer.objects.exists()


def test_session_writes_need_the_csrf_token(api_session, alice, pack):
    client = api_session(alice)
    response = client.post("/api/v1/assessments/", {"pack": pack.slug}, format="json")
    _is_problem(response, 403)
    assert "CSRF" in response.json()["detail"]
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    created = client.post(
        "/api/v1/assessments/", {"pack": pack.slug}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert created.status_code == 201


def test_a_key_request_ignores_cookies(api, key_a, alice, pack):
    # A key with a session beside it: judged by the key alone (no CSRF needed, and a bad
    # key is not rescued by the cookie).
    client = api(key_a)
    client.force_login(alice)
    started = client.post(
        "/api/v1/assessments/",
        {"pack": pack.slug, "member": str(alice.membership.public_id)},
        format="json",
    )
    assert started.status_code == 201
    client.credentials(HTTP_AUTHORIZATION="Bearer pcl_00000000_wrong")
    assert client.get("/api/v1/whoami/").status_code == 401


def test_a_key_over_its_rate_gets_429_with_retry_after(settings, api, key_a, key_b):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "3/min", "api_user": "100/min"},
    }
    client = api(key_a)
    for _ in range(3):
        assert client.get("/api/v1/whoami/").status_code == 200
    response = client.get("/api/v1/whoami/")
    _is_problem(response, 429)
    assert int(response["Retry-After"]) > 0
    # Per key: another key is not slowed down.
    assert api(key_b).get("/api/v1/whoami/").status_code == 200


def test_a_person_over_their_rate_gets_429(settings, api_session, alice):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100/min", "api_user": "2/min"},
    }
    client = api_session(alice)
    assert client.get("/api/v1/whoami/").status_code == 200
    assert client.get("/api/v1/whoami/").status_code == 200
    response = client.get("/api/v1/whoami/")
    assert response.status_code == 429
    assert "Retry-After" in response


def test_a_forged_forwarded_for_does_not_change_the_key_throttle(settings, api, key_a):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "2/min", "api_user": "100/min"},
    }
    client = api(key_a)
    for n in range(2):
        client.get("/api/v1/whoami/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert client.get("/api/v1/whoami/", HTTP_X_FORWARDED_FOR="10.9.9.9").status_code == 429


def test_page_size_has_a_ceiling(settings, api, key_a, bob):
    settings.API_PAGE_SIZE_MAX = 1
    body = api(key_a).get("/api/v1/members/", {"page_size": 500}).json()
    assert body["count"] == 1  # bob
    assert len(body["results"]) == 1
    assert {"count", "next", "previous", "results"} <= set(body)


def test_filtering_and_ordering(api, key_a, alice, carol, bob):
    client = api(key_a)
    staff = client.get("/api/v1/members/", {"audience": "staff"}).json()["results"]
    assert {m["email"] for m in staff} == {"bob@example.org", "carol@example.org"}
    ordered = client.get("/api/v1/members/", {"ordering": "-user__email"}).json()["results"]
    assert [m["email"] for m in ordered] == sorted((m["email"] for m in ordered), reverse=True)
    _is_problem(client.get("/api/v1/members/", {"audience": "wizard"}), 400)


def test_the_schema_and_viewers_are_for_signed_in_callers(api, key_a, alice):
    anonymous = Client()
    assert anonymous.get("/api/schema/").status_code in (401, 403)
    for viewer in ("/api/schema/swagger-ui/", "/api/schema/redoc/"):
        response = anonymous.get(viewer)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert api(key_a).get("/api/schema/").status_code == 200
    signed_in = Client()
    signed_in.force_login(alice)
    schema = signed_in.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    for viewer in ("/api/schema/swagger-ui/", "/api/schema/redoc/"):
        page = signed_in.get(viewer).content.decode()
        # Served by the app itself: no CDN, no font service.
        assert "cdn" not in page.lower()
        assert "googleapis" not in page
        assert "/static/drf_spectacular_sidecar/" in page


def test_every_operation_has_a_description_and_an_example():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if not operation.get("description") or not operation.get("summary"):
                missing.append(f"{method} {path}: description")
            ok = operation["responses"]
            success = [c for c in ok if c.startswith("2")]
            has_example = any(
                media.get("examples") or media.get("schema", {}).get("format") == "binary"
                for code in success
                for media in ok[code].get("content", {}).values()
            )
            if not has_example:
                missing.append(f"{method} {path}: example")
    assert not missing, missing


def test_a_date_filter_with_any_offset_is_read_in_utc(api, key_a, alice_assessment):
    # PostgreSQL refuses offsets past +/-15:59: schemathesis sent "-19:00" and got a 500.
    client = api(key_a)
    far = client.get("/api/v1/assessments/", {"updated_after": "3403-06-20T16:08:00-19:00"})
    assert far.status_code == 200
    assert far.json()["results"] == []
    past = client.get("/api/v1/assessments/", {"updated_after": "2000-01-01T00:00:00+18:00"})
    assert [a["id"] for a in past.json()["results"]] == [str(alice_assessment.public_id)]
    # An instant that leaves the calendar in UTC is a clear 400, not a 500.
    _is_problem(
        client.get("/api/v1/assessments/", {"updated_after": "9999-12-31T23:59:00-05:00"}), 400
    )


def test_a_session_that_ended_is_refused_with_a_problem(api_session, alice):
    import time

    from django.contrib.sessions.models import Session

    from apps.accounts.middleware import SESSION_LAST_SEEN_KEY

    client = api_session(alice)
    session = client.session
    session[SESSION_LAST_SEEN_KEY] = int(time.time()) - 2 * settings.SESSION_IDLE_TIMEOUT
    session.save()

    body = _is_problem(client.get("/api/v1/assessments/"), 401)
    assert "session has ended" in body["detail"]
    assert body["instance"] == "/api/v1/assessments/"
    assert not Session.objects.filter(session_key=session.session_key).exists()


def test_a_person_who_must_set_up_mfa_is_refused_with_a_problem(client, org_a):
    from apps.accounts.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    admin = UserFactory(email="newadmin@example.org", with_mfa=False)
    MembershipFactory(user=admin, organisation=org_a, role=Membership.Role.ORG_ADMIN)
    client.force_login(admin)

    body = _is_problem(client.get("/api/v1/assessments/"), 403)
    assert "two-factor" in body["detail"]
    _is_problem(client.get("/api/schema/"), 403)
    # The documentation viewers are pages: sent to enrolment, as every other page is.
    viewer = client.get("/api/schema/swagger-ui/")
    assert viewer.status_code == 302
    assert viewer["Location"] == "/accounts/2fa/"


def test_a_request_django_refuses_before_any_view_is_a_problem_too(api, key_a):
    # A Host header outside ALLOWED_HOSTS is refused before routing (handler400).
    _is_problem(api(key_a).get("/api/v1/assessments/", HTTP_HOST="evil.example"), 400)
    page = Client().get("/", HTTP_HOST="evil.example")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")
    # And a PermissionDenied raised outside DRF's own handling (handler403).
    from django.core.exceptions import PermissionDenied
    from django.test import RequestFactory

    from apps.api.problems import api_permission_denied

    refused = api_permission_denied(
        RequestFactory().get("/api/v1/assessments/"), PermissionDenied("No.")
    )
    assert (refused.status_code, refused["Content-Type"]) == (403, "application/problem+json")
