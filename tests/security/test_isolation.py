"""Organisation data stays in its organisation, and with its person (SECURITY_TESTS 3, 4, 5).

The matrix: every URL pattern that names org data by id (isolation_cases.CASES), tried with
an org-A object by every persona, GET and POST. Whoever is refused gets the same answer as
for an id that does not exist, sees none of the object's data, and changes nothing; the
only row a refusal may write is the audit event that records it. Then mass assignment:
fields a form does not own are ignored.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from apps.accounts.models import Invitation, Membership
from apps.accounts.selectors import invitation_token_for
from apps.accounts.services import invitation_accept
from apps.assessments.models import Answer, Assessment
from apps.audit.models import AuditEvent
from apps.scoring.models import Score
from tests.security.isolation_cases import (
    ALLOWED,
    ANSWER_NOTE,
    CASES,
    FORBIDDEN,
    LOGIN,
    NOT_FOUND,
    OrgAObjects,
    audit_events_after,
    audit_mark,
    db_state,
)

pytestmark = pytest.mark.django_db

# Refused personas first, so each meets the object untouched; then those allowed, whose
# POSTs may change it (alice submitting her own assessment, bob revoking an invitation).
ORDER = ("anonymous", "carol", "charlie", "dave", "bob", "alice")
METHOD_NOT_ALLOWED = "method not allowed"


@pytest.fixture
def org_a_objects(alice, bob, org_a):
    return OrgAObjects(alice=alice, bob=bob, org_a=org_a)


@pytest.fixture
def people(alice, bob, carol, charlie, dave):
    return {"alice": alice, "bob": bob, "carol": carol, "charlie": charlie, "dave": dave}


@pytest.fixture
def clients(people):
    """A signed-in client per persona (each its own session), and an anonymous one."""
    result = {"anonymous": Client()}
    for name, user in people.items():
        result[name] = Client()
        result[name].force_login(user)
    return result


def _outcome(response) -> str:
    status = response.status_code
    if status == 404:
        return NOT_FOUND
    if status == 403:
        return FORBIDDEN
    if status == 405:
        return METHOD_NOT_ALLOWED
    if status == 302 and response["Location"].startswith(reverse("account_login")):
        return LOGIN
    if status in (200, 302, 400, 409):  # served: a page, a redirect, or a refusal on the merits
        return ALLOWED
    return f"status {status}"


def _body(response) -> bytes:
    # Reading a streamed file to the end closes it (the test client wraps the iterator);
    # calling response.close() here would fire request_finished and, on PostgreSQL, close
    # the test's connection.
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# The targets that are a person's (apps/audit/middleware.py PERSONAL_OBJECTS), by owner.
REFUSAL_AUDITED = {
    "assessment_open": "alice",
    "assessment_submitted": "alice",
    "report": "alice",
    "membership": "bob",
}


def _check_audit(case, persona, outcome, events, people, org_a_objects) -> list[str]:
    """What the audit trail must say about one request; [] when it says just that.

    A 404 on a person's object writes exactly one denied event (the service's own, or
    `access.denied` from apps/audit/middleware.py); any other refusal writes nothing; a
    read of alice's report by anyone else writes exactly one event. Allowed writes are
    audited by their services (tested with them), so they are not counted here.
    """
    actions = [(e.action, e.outcome) for e in events]
    if case.audit_action and persona not in ("alice", "anonymous"):
        if outcome == ALLOWED:
            wanted = AuditEvent.Outcome.ALLOWED
        elif outcome == NOT_FOUND:
            wanted = AuditEvent.Outcome.DENIED  # a refused download of a report that exists
        else:
            wanted = None
        if wanted is not None:
            if actions != [(case.audit_action, wanted)]:
                return [f"expected one {case.audit_action}/{wanted} event, got {actions}"]
            event = events[0]
            if (event.actor_id, event.subject_id, event.organisation_id) != (
                people[persona].pk,
                people["alice"].pk,
                org_a_objects.org_a.pk,
            ):
                return ["the audit event names the wrong actor, subject or organisation"]
            return []
    owner = REFUSAL_AUDITED.get(case.target)
    if outcome == NOT_FOUND and owner and persona not in (owner, "anonymous"):
        # Any refused look at a person's object is recorded, once, naming whose it was.
        if actions != [("access.denied", AuditEvent.Outcome.DENIED)]:
            return [f"expected one access.denied event, got {actions}"]
        event = events[0]
        if (event.actor_id, event.subject_id, event.organisation_id) != (
            people[persona].pk,
            people[owner].pk,
            org_a_objects.org_a.pk,
        ):
            return ["the access.denied event names the wrong actor, subject or organisation"]
        return []
    if outcome != ALLOWED and events:
        return [f"a refusal wrote audit events {actions}"]
    return []


def _send(client, method, url, data):
    return client.get(url) if method == "GET" else client.post(url, dict(data))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_an_org_a_object_reaches_only_whom_the_policy_allows(case, org_a_objects, clients, people):
    kwargs = org_a_objects.url_kwargs(case)
    url = reverse(case.url_name, kwargs=kwargs)
    # The same URL naming nothing: a refusal must not be told apart from it.
    nothing = reverse(case.url_name, kwargs={**kwargs, "public_id": uuid.uuid4()})
    markers = [m.encode() for m in org_a_objects.markers(case.target)]
    failures = []
    for persona in ORDER:
        for method in ("GET", "POST"):
            served = method in case.methods
            before, mark = db_state(), audit_mark()
            response = _send(clients[persona], method, url, case.data)
            outcome = _outcome(response)
            body = _body(response)
            problems = []
            if served and outcome != case.expect[persona]:
                problems.append(f"got {outcome} ({response.status_code})")
            if not served and outcome not in (METHOD_NOT_ALLOWED, FORBIDDEN, LOGIN):
                problems.append(f"an unserved method got {response.status_code}")
            if outcome != ALLOWED:
                if db_state() != before:
                    problems.append("a refused request changed the database")
                problems += [f"shows {m!r}" for m in markers if m in body]
            elif persona != "alice" and not case.audit_action and ANSWER_NOTE.encode() in body:
                problems.append("shows her answers without auditing it")
            events = audit_events_after(mark)
            problems += _check_audit(case, persona, outcome, events, people, org_a_objects)
            if outcome != ALLOWED:
                unknown = _send(clients[persona], method, nothing, case.data)
                if unknown.status_code != response.status_code:
                    problems.append(
                        f"{response.status_code}, but {unknown.status_code} for an unknown id"
                    )
            failures += [f"{persona} {method} {url}: {p}" for p in problems]
    assert not failures, "\n".join(failures)


def test_the_matrix_tries_alice_s_assessment_in_both_states(org_a_objects):
    # The matrix's meaning rests on these objects being what their names say.
    assert org_a_objects.assessment_open.status == Assessment.Status.IN_PROGRESS
    assert org_a_objects.assessment_submitted.is_submitted
    notes = Answer.objects.filter(assessment=org_a_objects.assessment_open).values_list(
        "note", flat=True
    )
    assert ANSWER_NOTE in notes


def test_org_b_list_pages_show_nothing_of_org_a(org_a_objects, clients, org_a):
    org_a_objects.report  # noqa: B018 (build every kind of org-A object)
    org_a_objects.assessment_open  # noqa: B018
    org_a_objects.invitation  # noqa: B018
    markers = [
        m.encode()
        for m in (
            *org_a_objects.markers("assessment_open"),
            *org_a_objects.markers("membership"),
            *org_a_objects.markers("invitation"),
            org_a.name,
            str(org_a_objects.assessment_open.public_id),
            str(org_a_objects.report.public_id),
        )
    ]
    pages = {
        "charlie": ["home", "assessments:home", "catalogue:index", "mfa_index"],
        "dave": ["home", "accounts:member_list", "reports:organisation"],
    }
    for persona, names in pages.items():
        for name in names:
            response = clients[persona].get(reverse(name))
            assert response.status_code == 200, (persona, name)
            assert not [m for m in markers if m in response.content], (persona, name)
    overview = clients["dave"].get(reverse("reports:organisation")).context["overview"]
    assert overview["submitted"] == 0 and overview["rows"] == []
    assert overview["ready"] == overview["pending"] == overview["failed"] == 0


# --- Mass assignment (item 5) ------------------------------------------------------------

_FOREIGN_FIELDS = {
    "organisation": "",
    "organisation_id": "",
    "user": "",
    "user_id": "",
    "status": "submitted",
    "submitted_at": "2020-01-01T00:00:00Z",
    "score": "100",
    "audience": "peer",
    "pack": "1",
    "role": "org_admin",
    "is_staff": "on",
}


def _foreign(org_b, charlie) -> dict:
    return {
        **_FOREIGN_FIELDS,
        "organisation": str(org_b.public_id),
        "organisation_id": str(org_b.pk),
        "user": str(charlie.public_id),
        "user_id": str(charlie.pk),
    }


def _assessment_row(assessment):
    return Assessment.objects.filter(pk=assessment.pk).values(
        "user_id", "organisation_id", "pack_id", "audience", "status", "submitted_at"
    )[0]


@pytest.mark.parametrize(
    "endpoint, body",
    [
        ("answer", {"control": "T-ACC-02", "answer": "yes"}),
        ("section", {"answer-T-ACC-01": "no", "answer-T-ACC-02": "yes"}),
    ],
)
def test_an_answer_save_changes_the_answer_and_nothing_else(
    endpoint, body, org_a_objects, clients, org_b, charlie, alice
):
    assessment = org_a_objects.assessment_open
    kwargs = {"public_id": assessment.public_id}
    if endpoint == "section":
        kwargs["section_id"] = "accounts"
    row = _assessment_row(assessment)
    others = list(Answer.objects.exclude(assessment=assessment).values_list("pk", "answer_key"))
    scores = Score.objects.count()

    response = clients["alice"].post(
        reverse(f"assessments:{endpoint}", kwargs=kwargs), {**_foreign(org_b, charlie), **body}
    )

    assert response.status_code == 302
    assert _assessment_row(assessment) == {**row, "status": Assessment.Status.IN_PROGRESS}
    assert row["user_id"] == alice.pk and row["submitted_at"] is None
    saved = dict(
        Answer.objects.filter(assessment=assessment).values_list("control_key", "answer_key")
    )
    assert saved == {"T-ACC-01": "no", "T-ACC-02": "yes"}
    assert (
        list(Answer.objects.exclude(assessment=assessment).values_list("pk", "answer_key"))
        == others
    )
    assert Score.objects.count() == scores
    assert alice.membership.organisation_id == org_a_objects.org_a.pk


def test_an_invitation_is_for_the_admin_s_own_organisation_whatever_the_form_says(
    clients, bob, org_a, org_b, charlie, dave
):
    response = clients["bob"].post(
        reverse("accounts:member_invite"),
        {
            **_foreign(org_b, charlie),
            "role": "member",
            "audience": "staff",
            "email": "new.caseworker@example.org",
            "full_name": "New Caseworker",
            "is_superuser": "on",
            "invited_by": str(dave.pk),
            "expires_at": "2099-01-01T00:00:00Z",
            "accepted_at": "2020-01-01T00:00:00Z",
        },
    )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.organisation == org_a
    assert invitation.invited_by == bob
    assert (invitation.role, invitation.audience) == ("member", "staff")
    assert invitation.accepted_at is None
    assert invitation.expires_at.year < 2099
    assert not Invitation.objects.filter(organisation=org_b).exists()
    event = AuditEvent.objects.get(action="invitation.issued")
    assert event.organisation == org_a

    user = invitation_accept(
        token=invitation_token_for(invitation), password="a long passphrase for testing"
    )
    assert not user.is_staff and not user.is_superuser
    assert (user.membership.organisation, user.membership.role) == (org_a, "member")


@pytest.mark.parametrize("role", ["owner", "superuser", "staff", "ORG_ADMIN", "admin", ""])
def test_a_role_outside_the_choices_is_refused(role, clients, alice):
    membership = alice.membership
    before, mark = db_state(), audit_mark()

    response = clients["bob"].post(
        reverse("accounts:member_change_role", args=[membership.public_id]), {"role": role}
    )

    assert response.status_code == 400
    assert db_state() == before
    assert audit_events_after(mark) == []


def test_a_role_change_moves_nobody_between_organisations(clients, alice, org_a, org_b, charlie):
    response = clients["bob"].post(
        reverse("accounts:member_change_role", args=[alice.membership.public_id]),
        {**_foreign(org_b, charlie), "role": "org_admin"},
    )

    assert response.status_code == 302
    membership = Membership.objects.get(user=alice)
    assert (membership.organisation, membership.role) == (org_a, "org_admin")
    alice.refresh_from_db()
    assert not alice.is_staff
    assert Membership.objects.get(user=charlie).role == Membership.Role.MEMBER
