"""The API's isolation matrix, enumerated from its OpenAPI schema (SECURITY_TESTS 1, 2, 5).

Every operation on an object of organisation A is tried with organisation B's key (every
scope) and with B's people's sessions (dave, its admin; charlie, a member): each gets
exactly what it would get for an id that does not exist (404, or a 403 given before any
lookup), sees none of A's data, and changes nothing. No list shows them an A row. The gate
fails when the schema gains a route without a case here, or the URL resolver has an API
route the schema does not describe.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from apps.assessments.verification import AnswerEntry, answers_write_verified
from tests.security.isolation_cases import OrgAObjects, db_state, walk_routes

pytestmark = pytest.mark.django_db

# Path template -> the org-A object it is tried with (built through the services).
OBJECT_CASES = {
    "/api/v1/assessments/{public_id}/": lambda o: {"public_id": o.assessment_open.public_id},
    "/api/v1/assessments/{public_id}/answers/": lambda o: {
        "public_id": o.assessment_open.public_id
    },
    "/api/v1/assessments/{public_id}/answers/{control}/dispute/": lambda o: {
        "public_id": o.assessment_open.public_id,
        "control": "T-DEV-01",
    },
    "/api/v1/assessments/{public_id}/submit/": lambda o: {"public_id": o.assessment_open.public_id},
    "/api/v1/assessments/{public_id}/score/": lambda o: {
        "public_id": o.assessment_submitted.public_id
    },
    "/api/v1/assessments/{public_id}/report/": lambda o: {
        "public_id": o.assessment_submitted.public_id
    },
    "/api/v1/reports/{public_id}/": lambda o: {"public_id": o.report.public_id},
    "/api/v1/reports/{public_id}/download/": lambda o: {"public_id": o.report.public_id},
    "/api/v1/members/{public_id}/": lambda o: {"public_id": o.alice.membership.public_id},
    "/api/v1/invitations/{public_id}/revoke/": lambda o: {"public_id": o.invitation.public_id},
    "/api/v1/campaigns/{public_id}/": lambda o: {"public_id": o.assignment.campaign.public_id},
    "/api/v1/campaigns/{public_id}/assignments/": lambda o: {
        "public_id": o.assignment.campaign.public_id
    },
}
# Routes with a parameter that names no organisation data, and why.
EXEMPT = {
    "/api/v1/packs/{slug}/": "catalogue: the same for every caller",
    "/api/v1/packs/{slug}/controls/": "catalogue: the same for every caller",
    "/api/v1/packs/{slug}/scenarios/": "catalogue: the same for every caller",
}
# A body that the route would accept, so that only scoping can turn the request away.
BODIES = {
    "/api/v1/assessments/{public_id}/answers/": {
        "answers": [{"control": "T-ACC-02", "answer": "yes"}]
    },
    "/api/v1/assessments/{public_id}/answers/{control}/dispute/": {"reason": "Not true."},
}


def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema) -> list[tuple[str, str]]:
    return [
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _template(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


def test_every_api_route_has_an_isolation_case():
    schema = api_schema()
    with_params = {path for path, _ in operations(schema) if "{" in path}
    missing = sorted(with_params - set(OBJECT_CASES) - set(EXEMPT))
    assert not missing, f"API routes with an id but no isolation case: {missing}"
    stale = sorted((set(OBJECT_CASES) | set(EXEMPT)) - with_params)
    assert not stale, f"isolation cases for routes that no longer exist: {stale}"
    undescribed = sorted(
        _template(r.route)
        for r in walk_routes()
        if r.route.startswith("api/v1/") and _template(r.route) not in schema["paths"]
    )
    assert not undescribed, f"API routes missing from the OpenAPI schema: {undescribed}"


def test_the_gate_notices_a_route_without_a_case():
    schema = api_schema()
    schema["paths"]["/api/v1/widgets/{public_id}/"] = {"get": {}}
    with_params = {path for path, _ in operations(schema) if "{" in path}
    assert with_params - set(OBJECT_CASES) - set(EXEMPT) == {"/api/v1/widgets/{public_id}/"}


@pytest.fixture
def org_a_objects(alice, bob, org_a, key_a):
    objects = OrgAObjects(alice=alice, bob=bob, org_a=org_a)
    # A verified answer on alice's open assessment, written by org A's key.
    from apps.api.principal import ApiKeyActor
    from apps.api.services import api_key_authenticate

    answers_write_verified(
        actor=ApiKeyActor(key=api_key_authenticate(key_a)),
        assessment=objects.assessment_open,
        entries=[AnswerEntry(control_key="T-DEV-01", answer_key="yes")],
    )
    objects.report  # noqa: B018 - built now, so every request meets a ready report
    objects.invitation  # noqa: B018
    objects.assignment  # noqa: B018 - org A's campaign, with alice assigned
    return objects


@pytest.fixture
def intruders(key_b, dave, charlie):
    by_key = APIClient()
    by_key.credentials(HTTP_AUTHORIZATION=f"Bearer {key_b}")
    result = {"key_b": by_key}
    for name, user in (("dave", dave), ("charlie", charlie)):
        client = APIClient()
        client.force_login(user)
        result[name] = client
    return result


def _url(template: str, kwargs: dict) -> str:
    return template.format(**{k: str(v) for k, v in kwargs.items()})


def _send(client, method, url, body):
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, json.dumps(body), content_type="application/json")


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _markers(o: OrgAObjects) -> list[str]:
    return [
        o.alice.email,
        o.alice.full_name,
        o.bob.email,
        o.invitation.email,
        str(o.assessment_open.public_id),
        str(o.assessment_submitted.public_id),
        str(o.report.public_id),
        str(o.alice.membership.public_id),
        o.org_a.name,
        str(o.assignment.campaign.public_id),
    ]


CASE_OPERATIONS = [
    (path, method)
    for path, method in operations(SchemaGenerator().get_schema(request=None, public=True))
    if path in OBJECT_CASES
]


@pytest.mark.parametrize(("path", "method"), CASE_OPERATIONS, ids=lambda v: str(v))
def test_organisation_b_gets_nothing_of_organisation_a(path, method, org_a_objects, intruders):
    url = _url(path, OBJECT_CASES[path](org_a_objects))
    missing = _url(path, {k: uuid.uuid4() for k in OBJECT_CASES[path](org_a_objects)})
    if "{control}" in path:
        missing = _url(
            path,
            {"public_id": uuid.uuid4(), "control": OBJECT_CASES[path](org_a_objects)["control"]},
        )
    markers = _markers(org_a_objects)
    before = db_state()
    problems = []
    for name, client in intruders.items():
        body = BODIES.get(path, {})
        got = _send(client, method, url, body)
        baseline = _send(client, method, missing, body)
        content = _body(got).decode(errors="replace")
        if got.status_code not in (403, 404):
            problems.append(f"{name}: {method} {path} -> {got.status_code}")
        if got.status_code != baseline.status_code:
            problems.append(
                f"{name}: {got.status_code} for A's object, {baseline.status_code} for none"
            )
        leaked = [m for m in markers if m in content and m not in url]
        if leaked:
            problems.append(f"{name}: the response shows {leaked}")
    assert not problems, "\n".join(problems)
    assert db_state() == before


def test_the_cases_are_real_for_organisation_a(org_a_objects, key_a):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key_a}")
    for path, method in CASE_OPERATIONS:
        if method != "GET":
            continue
        response = client.get(_url(path, OBJECT_CASES[path](org_a_objects)))
        assert response.status_code == 200, (path, response.status_code)


def test_no_list_shows_organisation_b_a_row_of_organisation_a(org_a_objects, intruders, key_a):
    list_paths = [p for p, m in operations(api_schema()) if m == "GET" and "{" not in p]
    assert "/api/v1/assessments/" in list_paths
    markers = _markers(org_a_objects)
    leaks = []
    for name, client in intruders.items():
        for path in list_paths:
            response = client.get(path, {"page_size": 200})
            assert response.status_code in (200, 403), (name, path, response.status_code)
            content = response.content.decode()
            leaked = [m for m in markers if m in content]
            if leaked:
                leaks.append(f"{name} {path}: {leaked}")
    assert not leaks, "\n".join(leaks)
    # ... while org A's own key does see them (the markers are findable).
    own = APIClient()
    own.credentials(HTTP_AUTHORIZATION=f"Bearer {key_a}")
    content = own.get("/api/v1/assessments/").content.decode()
    assert str(org_a_objects.assessment_open.public_id) in content


FORBIDDEN_INPUTS = {
    "organisation",
    "organisation_id",
    "user",
    "user_id",
    "role",
    "is_staff",
    "is_superuser",
    "score",
    "submitted_at",
    "status",
    "actor",
    "outcome",
}


def test_no_request_body_can_carry_organisation_user_role_score_or_audit_fields():
    schema = api_schema()
    components = schema["components"]["schemas"]

    def properties(ref_or_schema, seen=()):
        node = ref_or_schema
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name in seen:
                return set()
            node = components[name]
            seen = (*seen, name)
        names = set(node.get("properties", {}))
        for child in node.get("properties", {}).values():
            names |= properties(child.get("items", child), seen)
        return names

    found = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                bad = properties(media["schema"]) & FORBIDDEN_INPUTS
                if bad:
                    found[f"{method.upper()} {path}"] = sorted(bad)
    assert not found, found


def test_extra_fields_are_refused_and_change_nothing(api, key_a, alice, pack):
    before = db_state()
    response = api(key_a).post(
        "/api/v1/assessments/",
        {"pack": pack.slug, "member": str(alice.membership.public_id), "organisation": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "organisation" in response.json()["errors"]
    assert db_state() == before
