"""Every URL, from the resolver: the isolation gate, and CSRF (SECURITY_TESTS 2 and 6).

The gate fails when a URL pattern with a path parameter has neither a case in the isolation
matrix nor a written exemption (tests/security/isolation_cases.py). The exemptions that
rest on someone else's code (allauth, the Django admin) are checked here. Then CSRF: with
enforced checks, a POST without the token to any URL is refused with 403 and changes
nothing; the same POST with the token goes through; and no GET changes anything.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable
from typing import NamedTuple

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLResolver, include, path, reverse
from django.urls.resolvers import RegexPattern
from django.utils.crypto import get_random_string

from apps.accounts.selectors import invitation_token_for
from tests.factories import TEST_PASSWORD
from tests.security.isolation_cases import (
    CASES,
    EXEMPT_PREFIXES,
    EXEMPTIONS,
    OrgAObjects,
    Route,
    audit_events_after,
    audit_mark,
    db_state,
    exemption_for,
    walk_routes,
)

CASE_NAMES = frozenset(case.url_name for case in CASES)


def uncovered(routes) -> list[Route]:
    """Parameterised patterns with neither an isolation case nor an exemption."""
    return [
        route
        for route in routes
        if route.params and route.key not in CASE_NAMES and exemption_for(route) is None
    ]


def _describe(routes) -> str:
    return "\n".join(
        f"  {route.key}  ({route.route}; parameters: {', '.join(route.params)})" for route in routes
    )


# --- The gate (item 2) -------------------------------------------------------------------


def test_every_url_with_a_parameter_has_an_isolation_case_or_an_exemption():
    missing = uncovered(walk_routes())

    assert not missing, (
        "URL patterns with a path parameter but no isolation case and no exemption:\n"
        f"{_describe(missing)}\n"
        "Add an IsolationCase (or an Exemption with its reason) in "
        "tests/security/isolation_cases.py."
    )


def _fake_view(request, **kwargs):  # pragma: no cover - never called
    raise AssertionError


def test_the_gate_names_a_new_url_with_an_id_wherever_it_is_mounted():
    # The project's URLs plus three new ones: plain, inside a namespaced include, and with
    # the id in the include's prefix.
    urlconf = [
        path("", include("config.urls")),
        path("widgets/<uuid:public_id>/", _fake_view, name="widget_detail"),
        path("gadgets/", include(([path("<int:pk>/edit/", _fake_view, name="edit")], "gadgets"))),
        path(
            "orgs/<uuid:org_id>/",
            include(([path("overview/", _fake_view, name="overview")], "org_pages")),
        ),
    ]
    resolver = URLResolver(RegexPattern(r"^/"), urlconf)

    found = {route.key for route in uncovered(walk_routes(resolver))}

    assert found - {route.key for route in uncovered(walk_routes())} == {
        "widget_detail",
        "gadgets:edit",
        "org_pages:overview",
    }


def test_the_registry_names_only_urls_that_exist():
    routes = list(walk_routes())
    keys = {route.key for route in routes if route.params}
    stale = sorted((CASE_NAMES | set(EXEMPTIONS)) - keys)
    stale += [p for p in EXEMPT_PREFIXES if not any(r.route.startswith(p) for r in routes)]
    assert not stale, f"cases or exemptions for URLs that no longer take a parameter: {stale}"


def test_every_exemption_says_why_and_its_check_exists():
    for key, exemption in {**EXEMPTIONS, **EXEMPT_PREFIXES}.items():
        assert len(exemption.reason) > 30, key
        if exemption.checked_by:
            module_name, test_name = exemption.checked_by.split("::")
            module = importlib.import_module(f"tests.security.{module_name.removesuffix('.py')}")
            assert callable(getattr(module, test_name, None)), exemption.checked_by


# --- The exemptions' claims --------------------------------------------------------------


def _sample(name: str, objects: OrgAObjects | None) -> str:
    """A value for a path parameter the matrix does not cover."""
    samples = {
        "object_id": "1",
        "id": "1",
        "content_type_id": "1",
        "app_label": "accounts",
        "url": "no-such-page/",
        "key": "not-a-key",
        "uidb36": "1",
    }
    if name in samples:
        return samples[name]
    if objects is None:
        return str(uuid.uuid4())
    by_object = {
        "slug": lambda: objects.pack.slug,
        "pack_id": lambda: str(objects.pack.public_id),
        "token": lambda: invitation_token_for(objects.invitation),
        # The dummy key only where it was made: allauth's own pages choke on its credential.
        "pk": lambda: str(objects.webauthn_key.pk) if objects.built("webauthn_key") else "1",
    }
    return by_object[name]() if name in by_object else str(uuid.uuid4())


def route_url(route: Route, objects: OrgAObjects | None = None) -> str:
    """A concrete URL for `route`: the matrix's org-A object where it has a case."""
    case = next((case for case in CASES if case.url_name == route.key), None)
    if case is not None and objects is not None:
        return reverse(case.url_name, kwargs=objects.url_kwargs(case))
    kwargs = {name: _sample(name, objects) for name in route.params}
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    # Regex groups first: "(?P<url>.*)" also looks like a path() converter.
    filled = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: kwargs[m.group(1)], route.route)
    filled = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: kwargs[m.group(1)], filled)
    return "/" + filled.replace("^", "").replace("$", "")


@pytest.mark.django_db
def test_admin_urls_with_an_id_are_closed_to_org_admins(bob):
    client = Client()
    client.force_login(bob)
    admin_routes = [r for r in walk_routes() if r.params and r.route.startswith("admin/")]
    assert len(admin_routes) > 20

    opened = []
    for route in admin_routes:
        url = route_url(route)
        response = client.get(url)
        location = response.get("Location", "")
        closed = response.status_code in (403, 404) or (
            response.status_code == 302 and location.startswith(reverse("admin:login"))
        )
        if not closed:
            opened.append(f"{url}: {response.status_code} {location}")
    assert not opened, "\n".join(opened)


def _recently_authenticated(user) -> Client:
    """A signed-in client that has just re-entered its password, as allauth's security-key
    pages demand before they even look the key up."""
    client = Client()
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("intruder", ["charlie", "bob"])
def test_nobody_else_can_remove_or_edit_a_security_key(request, intruder, alice, bob, org_a):
    key = OrgAObjects(alice=alice, bob=bob, org_a=org_a).webauthn_key
    remove = reverse("mfa_remove_webauthn", kwargs={"pk": key.pk})
    edit = reverse("mfa_edit_webauthn", kwargs={"pk": key.pk})
    # The pages are real: their owner reaches them.
    assert _recently_authenticated(alice).get(remove).status_code == 200

    client = _recently_authenticated(request.getfixturevalue(intruder))
    before, mark = db_state(), audit_mark()

    assert client.post(remove).status_code == 404
    assert client.get(edit).status_code == 404
    assert client.post(edit, {"name": "Mine now"}).status_code == 404

    assert db_state() == before
    assert audit_events_after(mark) == []
    key.refresh_from_db()
    assert key.data["name"] == "Alice's office key"


# --- CSRF (item 6) -----------------------------------------------------------------------

# Pages for people who are not signed in; every other URL is tried signed in.
ANONYMOUS_PAGES = frozenset(
    {
        "accounts:invitation_accept",
        "accounts:sign_in_pass",
        "account_login",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_confirm_login_code",
        "account_email_verification_sent",
        "account_confirm_email",
        "mfa_authenticate",
    }
)
ORG_ADMIN_PAGES = frozenset(
    {
        "reports:organisation",
        "reports:regenerate",
        "compliance:dashboard",
        "compliance:snapshot",
        "compliance:campaign_new",
        "compliance:members",
        "compliance:open_detail",
        "compliance:open_detail_record",
        "compliance:export",
    }
)


def persona_for(route: Route) -> str:
    """Who could use `route` for real: a forged request in their name would succeed."""
    if route.route.startswith("admin/"):
        return "staff"
    if route.key in ANONYMOUS_PAGES:
        return "anonymous"
    if route.key in ORG_ADMIN_PAGES or (
        route.key.startswith("accounts:") and route.key not in ANONYMOUS_PAGES
    ):
        return "bob"
    return "alice"


@pytest.fixture
def org_a_objects(alice, bob, org_a):
    objects = OrgAObjects(alice=alice, bob=bob, org_a=org_a)
    for target in ("report", "assessment_open", "invitation", "assignment"):
        objects.get(target)
    return objects


@pytest.fixture
def csrf_clients(alice, bob, carol, staff):
    """Clients that enforce CSRF checks, signed in (sessions settled by a first page)."""
    result = {"anonymous": Client(enforce_csrf_checks=True)}
    for name, user in {"alice": alice, "bob": bob, "carol": carol, "staff": staff}.items():
        result[name] = Client(enforce_csrf_checks=True)
        result[name].force_login(user)
        result[name].get("/admin/" if name == "staff" else "/")
    return result


@pytest.mark.django_db
def test_a_post_without_a_csrf_token_is_refused_on_every_url(org_a_objects, csrf_clients):
    org_a_objects.get("webauthn_key")
    org_a_objects.get("api_key")
    routes = list(walk_routes())
    before, mark = db_state(), audit_mark()

    accepted = []
    for route in routes:
        url = route_url(route, org_a_objects)
        response = csrf_clients[persona_for(route)].post(url, {"role": "member"})
        if response.status_code != 403:
            accepted.append(f"{route.key} {url}: {response.status_code}")

    assert not accepted, "POSTs without a CSRF token that were not refused:\n" + "\n".join(accepted)
    assert db_state() == before
    assert audit_events_after(mark) == []
    assert len(routes) > 100  # the walk saw the whole project, admin included


@pytest.mark.django_db
def test_no_get_changes_anything(org_a_objects, csrf_clients):
    # The admin is Django's and staff-only; its GETs are read-only by design. /readyz
    # probes the broker (tests/core).
    routes = [r for r in walk_routes() if not r.route.startswith("admin/") and r.key != "readyz"]
    org_a_objects.get("api_key")  # made before the count starts (issuing one is a write)
    before, mark = db_state(), audit_mark()

    changed = []
    for route in routes:
        url = route_url(route, org_a_objects)
        response = csrf_clients[persona_for(route)].get(url)
        if response.streaming:
            b"".join(response.streaming_content)  # to the end: the client then closes the file
        if response.status_code >= 500:
            changed.append(f"{url}: {response.status_code}")
        elif db_state() != before:
            changed.append(f"{url}: changed the database")
            before = db_state()
    assert not changed, "\n".join(changed)
    assert audit_events_after(mark) == []


class Control(NamedTuple):
    """A state-changing POST with a body that makes it go through."""

    persona: str
    url_name: str
    url_kwargs: Callable[[OrgAObjects, object], dict]  # (org A's objects, carol) -> kwargs
    body: dict
    needs: tuple[str, ...] = ()  # org-A objects that must exist first


def _assessment(target):
    return lambda objects, carol: {"public_id": objects.get(target).public_id}


def _carol(objects, carol):
    return {"public_id": carol.membership.public_id}


def _none(objects, carol):
    return {}


# The MFA pages are in the walk above; with a token they first want a fresh
# re-authentication, and tests/security/test_mfa.py exercises them that way.
CONTROLS = {
    "answer save": Control(
        "alice",
        "assessments:answer",
        _assessment("assessment_open"),
        {"control": "T-ACC-02", "answer": "yes"},
    ),
    "section save": Control(
        "alice",
        "assessments:section",
        lambda objects, carol: {
            "public_id": objects.assessment_open.public_id,
            "section_id": "accounts",
        },
        {"answer-T-ACC-02": "no"},
    ),
    "submit": Control("alice", "assessments:submit", _assessment("assessment_open"), {}),
    # No open assessment here, so reassessing starts one.
    "reassess": Control("alice", "assessments:reassess", _assessment("assessment_submitted"), {}),
    "start": Control(
        "carol", "assessments:start", lambda objects, carol: {"pack_id": objects.pack.public_id}, {}
    ),
    # Submit queues the report; asking again changes something once it has failed.
    "report request": Control(
        "alice",
        "reports:request",
        _assessment("assessment_submitted"),
        {},
        needs=("report_failed",),
    ),
    "regenerate all": Control("bob", "reports:regenerate", _none, {}, needs=("report_failed",)),
    "invite": Control(
        "bob",
        "accounts:member_invite",
        _none,
        {"email": "x@example.org", "full_name": "X", "role": "member", "audience": "staff"},
    ),
    "revoke": Control(
        "bob",
        "accounts:invitation_revoke",
        lambda objects, carol: {"public_id": objects.invitation.public_id},
        {},
    ),
    "role change": Control("bob", "accounts:member_change_role", _carol, {"role": "org_admin"}),
    "deactivate": Control("bob", "accounts:member_deactivate", _carol, {}),
    "logout": Control("alice", "account_logout", _none, {}),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", CONTROLS)
def test_a_state_changing_post_needs_the_token_and_goes_through_with_it(
    action, alice, bob, carol, org_a, csrf_clients
):
    control = CONTROLS[action]
    objects = OrgAObjects(alice=alice, bob=bob, org_a=org_a)
    for target in control.needs:
        objects.get(target)
    url = reverse(control.url_name, kwargs=control.url_kwargs(objects, carol))
    client = csrf_clients[control.persona]
    before = db_state()

    forged = client.post(url, control.body)

    assert forged.status_code == 403
    assert db_state() == before

    token = get_random_string(32)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    genuine = client.post(url, control.body, HTTP_X_CSRFTOKEN=token)

    assert genuine.status_code in (200, 302), genuine.status_code
    assert db_state() != before, f"{action} with its token changed nothing"


@pytest.mark.django_db
def test_exports_name_no_object_and_stay_in_the_org(client_for, bob, dave, org_a):
    """compliance:export's exemption: the words are fixed, anything else is 404, and
    another organisation's admin exports only their own (empty) organisation."""
    from apps.catalogue.services import pack_load_data
    from tests.catalogue.packs import minimal_pack_data
    from tests.compliance.builders import ALL_NO, people

    pack = pack_load_data(minimal_pack_data()).pack
    people(org_a, 5, pack, ALL_NO)
    client = client_for(dave)
    for kind, fmt in (("members", "pdf"), ("secrets", "csv"), ("..", "csv")):
        assert client.post(f"/organisation/export/{kind}.{fmt}").status_code == 404
    response = client.post(reverse("compliance:export", args=["members", "csv"]))
    assert f"@{org_a.pk}.example.org" not in b"".join(response.streaming_content).decode()
