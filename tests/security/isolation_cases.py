"""The isolation matrix's registry (SECURITY_TESTS items 2, 3 and 4).

`CASES` lists every URL pattern that names organisation data by id, the org-A object it is
tried with and what each persona must get. `EXEMPTIONS` lists the patterns that take a
parameter but name no organisation data, each with its reason and, where the reason is a
claim about someone else's code, the test that checks it. `test_url_coverage.py` walks the
URL resolver and fails on any parameterised pattern found in neither list: a new URL with
an id is not done until it has a row here.

`OrgAObjects` builds the objects themselves, through the services, on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

from django.urls import URLPattern, URLResolver, get_resolver

PERSONAS = ("alice", "bob", "carol", "charlie", "dave", "anonymous")

# What a persona gets from a method the view serves.
ALLOWED = "allowed"  # the view found the object and handled the request (not 403/404/405)
NOT_FOUND = "not found"  # 404: indistinguishable from an id that does not exist
FORBIDDEN = "forbidden"  # 403 before any lookup (not an org admin): learns nothing
LOGIN = "login"  # redirected to the sign-in page

_DENIED_OUTSIDERS = {"charlie": NOT_FOUND, "dave": NOT_FOUND, "anonymous": LOGIN}

# Only the person assessed (alice).
OWNER_ONLY = MappingProxyType(
    {"alice": ALLOWED, "bob": NOT_FOUND, "carol": NOT_FOUND, **_DENIED_OUTSIDERS}
)
# The person assessed and her organisation's admins (reports: apps/reports/selectors.py).
OWNER_AND_ORG_ADMIN = MappingProxyType({**OWNER_ONLY, "bob": ALLOWED})
# Organisation admin pages: members get 403 before any lookup; another org's admin, 404.
ORG_ADMIN_PAGE = MappingProxyType(
    {
        "alice": FORBIDDEN,
        "bob": ALLOWED,
        "carol": FORBIDDEN,
        "charlie": FORBIDDEN,
        "dave": NOT_FOUND,
        "anonymous": LOGIN,
    }
)

# Org admin pages that name one person's data: everyone but her org's admin gets 404.
ORG_ADMIN_DETAIL = MappingProxyType(
    {
        "alice": NOT_FOUND,
        "bob": ALLOWED,
        "carol": NOT_FOUND,
        "charlie": NOT_FOUND,
        "dave": NOT_FOUND,
        "anonymous": LOGIN,
    }
)

ANSWER_NOTE = "Router admin password is on a sticky note in the constituency office"


@dataclass(frozen=True)
class IsolationCase:
    """One URL pattern tried with one org-A object.

    `methods` are those the view serves; any other method must be refused (403/405 or a
    sign-in redirect) for everyone. `data` is a valid POST body, so that only scoping can
    turn it away. `audit_action`: a request by someone other than alice records exactly one
    event with this action (allowed for bob, denied for a signed-in outsider).
    """

    url_name: str
    target: str  # an attribute of OrgAObjects
    methods: tuple[str, ...]
    expect: Mapping[str, str]
    kwargs: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, str] = field(default_factory=dict)
    audit_action: str = ""

    def __post_init__(self):
        assert set(self.expect) == set(PERSONAS), f"{self.id}: an outcome for every persona"

    @property
    def id(self) -> str:
        return f"{self.url_name}[{self.target}]"


ASSESSMENTS = ("assessment_open", "assessment_submitted")
_ANSWER = {"control": "T-ACC-02", "answer": "yes", "note": "forged"}
_SECTION = {"answer-T-ACC-02": "yes", "note-T-ACC-02": "forged"}

CASES: tuple[IsolationCase, ...] = (
    # Alice's questionnaire and answers: hers alone (apps/assessments/selectors.py). Org
    # admins included: there is no org-admin view of someone's answers in the HTML yet.
    *(
        case
        for target in ASSESSMENTS
        for case in (
            IsolationCase("assessments:resume", target, ("GET",), OWNER_ONLY),
            IsolationCase(
                "assessments:section",
                target,
                ("GET", "POST"),
                OWNER_ONLY,
                kwargs={"section_id": "accounts"},
                data=_SECTION,
            ),
            IsolationCase("assessments:answer", target, ("POST",), OWNER_ONLY, data=_ANSWER),
            IsolationCase("assessments:review", target, ("GET",), OWNER_ONLY),
            IsolationCase("assessments:submit", target, ("POST",), OWNER_ONLY),
            IsolationCase("assessments:results", target, ("GET",), OWNER_ONLY),
            IsolationCase("assessments:reassess", target, ("POST",), OWNER_ONLY),
            IsolationCase(
                "assessments:dispute",
                target,
                ("GET", "POST"),
                OWNER_ONLY,
                kwargs={"control_id": "T-ACC-01"},
                data={"reason": "forged"},
            ),
            # Her org admin sees where her report stands, but only she can ask for one.
            IsolationCase("reports:status", target, ("GET",), OWNER_AND_ORG_ADMIN),
            IsolationCase("reports:request", target, ("POST",), OWNER_ONLY),
        )
    ),
    IsolationCase("reports:detail", "report", ("GET",), OWNER_AND_ORG_ADMIN),
    # The files: hers alone by this route. Her org admin opens them only through
    # compliance:open_detail, which asks for a reason and records it first (issue 10).
    IsolationCase("reports:pdf", "report", ("GET",), OWNER_ONLY, audit_action="report.download"),
    IsolationCase("reports:html", "report", ("GET",), OWNER_ONLY, audit_action="report.download"),
    # An admin opens a current member's answers or report with a stated reason; members,
    # alice herself included, never reach this admin page (404), nor does another org.
    IsolationCase("compliance:open_detail", "assessment_submitted", ("GET",), ORG_ADMIN_DETAIL),
    IsolationCase(
        "compliance:open_detail_record",
        "assessment_submitted",
        ("POST",),
        ORG_ADMIN_DETAIL,
        data={"what": "answers", "reason": "Following up an overdue assessment"},
        audit_action="compliance.detail_viewed",
    ),
    # Her disputes of answers her IT team confirmed (her assessment may still be open): her
    # org admin opens them with a stated reason, recorded first; nobody else reaches them.
    IsolationCase("compliance:disputes_open", "assessment_open", ("GET",), ORG_ADMIN_DETAIL),
    IsolationCase(
        "compliance:disputes_open_record",
        "assessment_open",
        ("POST",),
        ORG_ADMIN_DETAIL,
        data={"reason": "Preparing support for this person"},
        audit_action="compliance.detail_viewed",
    ),
    IsolationCase("compliance:assignment_start", "assignment", ("POST",), OWNER_ONLY),
    # Bob's own membership: the prize for an outsider (demote or lock out org A's admin).
    IsolationCase("accounts:member_detail", "membership", ("GET",), ORG_ADMIN_PAGE),
    IsolationCase(
        "accounts:member_change_role",
        "membership",
        ("POST",),
        ORG_ADMIN_PAGE,
        data={"role": "member"},
    ),
    IsolationCase("accounts:member_deactivate", "membership", ("POST",), ORG_ADMIN_PAGE),
    IsolationCase("accounts:invitation_revoke", "invitation", ("POST",), ORG_ADMIN_PAGE),
    # Org A's API key: only org A's admins may revoke it.
    IsolationCase("api_keys:revoke", "api_key", ("POST",), ORG_ADMIN_PAGE),
)


@dataclass(frozen=True)
class Exemption:
    """A parameterised pattern that names no organisation data, and why.

    `checked_by`: the test (in tests/security) that holds the reason to account.
    """

    reason: str
    checked_by: str = ""


_WEBAUTHN = Exemption(
    "allauth's security-key pages take the key's integer pk, but look it up among "
    "request.user's own keys only: anyone else's key is a 404.",
    checked_by="test_url_coverage.py::test_nobody_else_can_remove_or_edit_a_security_key",
)

EXEMPTIONS: Mapping[str, Exemption] = MappingProxyType(
    {
        "catalogue:pack": Exemption(
            "A pack's guidance page by slug: catalogue data, the same for every signed-in user."
        ),
        "assessments:start": Exemption(
            "Takes a pack id (catalogue data). The assessment started always belongs to the "
            "requester (services.assessment_start) and the pack must fit their audience."
        ),
        "accounts:invitation_accept": Exemption(
            "A signed, expiring, single-use token, not an object id; tampered, expired, used "
            "and revoked links are tested in tests/accounts/test_invitations.py.",
        ),
        "accounts:sign_in_pass": Exemption(
            "A signed, one-hour, single-use token emailed to an account under attack, not an "
            "object id; it opens the sign-in form to one browser and shows no data.",
            checked_by="test_no_victim_lockout.py::test_the_pass_link_works_once_and_only_signed",
        ),
        "account_confirm_email": Exemption(
            "allauth's email-confirmation key: an HMAC token for one address, not org data."
        ),
        "account_reset_password_from_key": Exemption(
            "allauth's password-reset uid and token: useless without the emailed token, and it "
            "leads to a password form, not to org data."
        ),
        "compliance:export": Exemption(
            "Takes a fixed export name and format (checked against exports.KINDS and "
            "FORMATS), not an object id; the export covers the requester's own organisation.",
            checked_by="test_url_coverage.py::test_exports_name_no_object_and_stay_in_the_org",
        ),
        "mfa_remove_webauthn": _WEBAUTHN,
        "mfa_edit_webauthn": _WEBAUTHN,
    }
)

# Every route under these prefixes, named or not.
EXEMPT_PREFIXES: Mapping[str, Exemption] = MappingProxyType(
    {
        "admin/": Exemption(
            "Django admin: platform staff only (admin_view), platform-wide by design.",
            checked_by="test_url_coverage.py::test_admin_urls_with_an_id_are_closed_to_org_admins",
        ),
        "api/v1/": Exemption(
            "The REST API has its own isolation matrix, enumerated from its OpenAPI schema, "
            "with organisation B's key and sessions against organisation A's objects.",
            checked_by="test_api_isolation.py::test_every_api_route_has_an_isolation_case",
        ),
    }
)


# --- The URL resolver, flattened ---------------------------------------------------------


@dataclass(frozen=True)
class Route:
    route: str  # the whole pattern as written, includes concatenated
    name: str  # "namespace:name", or "" for an unnamed pattern
    params: tuple[str, ...]  # path parameters, from every level of includes
    callback: object

    @property
    def key(self) -> str:
        """How the registry names this pattern: its qualified name, else its route."""
        return self.name or self.route


def _params(pattern) -> tuple[str, ...]:
    converters = getattr(pattern, "converters", None)
    if converters:  # path() / RoutePattern
        return tuple(converters)
    regex = getattr(pattern, "regex", None)
    if regex is not None and regex.groups:  # re_path() / RegexPattern, named or not
        return tuple(regex.groupindex) or tuple(f"group{i}" for i in range(regex.groups))
    return ()


def walk_routes(
    resolver: URLResolver | None = None,
    *,
    prefix: str = "",
    namespace: str = "",
    params: tuple[str, ...] = (),
) -> Iterator[Route]:
    """Every URL pattern of the project, recursing into includes, with namespaces."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        found = params + _params(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk_routes(entry, prefix=route, namespace=inner, params=found)
        elif isinstance(entry, URLPattern):
            name = entry.name or ""
            if name and namespace:
                name = f"{namespace}:{name}"
            yield Route(route=route, name=name, params=found, callback=entry.callback)


def exemption_for(route: Route) -> Exemption | None:
    if route.key in EXEMPTIONS:
        return EXEMPTIONS[route.key]
    for prefix, exemption in EXEMPT_PREFIXES.items():
        if route.route.startswith(prefix):
            return exemption
    return None


# --- Org A's objects ---------------------------------------------------------------------


class OrgAObjects:
    """One org-A object of every kind a URL names, built through the services on first use
    (a PDF render costs half a second: only tests that need the report pay for it)."""

    def __init__(self, *, alice, bob, org_a):
        self.alice = alice
        self.bob = bob
        self.org_a = org_a

    def get(self, target: str):
        return getattr(self, target)

    def built(self, target: str) -> bool:
        return target in self.__dict__  # cached_property stores what it has made

    @cached_property
    def pack(self):
        from apps.catalogue.services import pack_load_data
        from tests.catalogue.packs import minimal_pack_data

        return pack_load_data(minimal_pack_data()).pack

    @cached_property
    def assessment_submitted(self):
        from apps.assessments.services import answer_save, assessment_start, assessment_submit

        assessment = assessment_start(actor=self.alice, pack=self.pack)
        for control, answer, note in (
            ("T-ACC-01", "no", ANSWER_NOTE),
            ("T-ACC-02", "sometimes", ""),
            ("T-DEV-01", "yes", ""),
        ):
            answer_save(
                actor=self.alice,
                assessment=assessment,
                control_key=control,
                answer_key=answer,
                note=note,
            )
        assessment_submit(actor=self.alice, assessment=assessment)
        assessment.refresh_from_db()
        return assessment

    @cached_property
    def assessment_open(self):
        from apps.assessments.services import answer_save, assessment_start

        # Submitted first: starting the same pack again would otherwise carry on this one.
        assert self.assessment_submitted.is_submitted
        assessment = assessment_start(actor=self.alice, pack=self.pack)
        answer_save(
            actor=self.alice,
            assessment=assessment,
            control_key="T-ACC-01",
            answer_key="no",
            note=ANSWER_NOTE,
        )
        assessment.refresh_from_db()
        return assessment

    @cached_property
    def report(self):
        """Alice's ready report: requested through the service, rendered in-process (the
        body of the Celery task) into the test's private storage."""
        from apps.reports.models import RemediationReport
        from apps.reports.services import report_render, report_request

        report = report_request(actor=self.alice, assessment=self.assessment_submitted)
        report_render(report_public_id=report.public_id, task_id="isolation-matrix")
        report.refresh_from_db()
        assert report.status == RemediationReport.Status.READY, report.error
        return report

    @cached_property
    def report_failed(self):
        """Alice's report whose render failed (submit queued it; the worker gave up)."""
        from apps.reports.models import RemediationReport

        report = RemediationReport.objects.get(assessment=self.assessment_submitted)
        report.status = RemediationReport.Status.FAILED
        report.error = "RuntimeError: the render broke"
        report.save(update_fields=["status", "error"])
        return report

    @cached_property
    def assignment(self):
        """Alice's assignment from a campaign bob launched for MPs."""
        import datetime

        from django.utils import timezone

        from apps.compliance.services import campaign_launch

        campaign = campaign_launch(
            actor=self.bob,
            pack=self.pack,
            due_date=timezone.localdate() + datetime.timedelta(days=30),
            audience="parliamentarian",
        )
        return campaign.assignments.get(user=self.alice)

    @cached_property
    def membership(self):
        return self.bob.membership

    @cached_property
    def invitation(self):
        from tests.factories import InvitationFactory

        return InvitationFactory(
            organisation=self.org_a, invited_by=self.bob, email="invitee.a@example.org"
        )

    @cached_property
    def webauthn_key(self):
        from allauth.mfa.models import Authenticator

        # Dummy credential: the pages under test list, rename and delete; none verifies it.
        return Authenticator.objects.create(
            user=self.alice,
            type=Authenticator.Type.WEBAUTHN,
            data={"name": "Alice's office key", "credential": {"id": "ZHVtbXk", "type": "x"}},
        )

    @cached_property
    def api_key(self):
        from datetime import timedelta

        from django.utils import timezone

        from apps.api.services import api_key_issue

        key, _ = api_key_issue(
            actor=self.bob,
            organisation=self.org_a,
            name="Org A device sync",
            scopes=["read:compliance"],
            expires_at=timezone.now() + timedelta(days=30),
        )
        return key

    def url_kwargs(self, case: IsolationCase) -> dict:
        return {"public_id": self.get(case.target).public_id, **case.kwargs}

    def markers(self, target: str) -> tuple[str, ...]:
        """Text that must never reach anyone the object is hidden from."""
        if target == "membership":
            return (self.bob.email, self.bob.full_name)
        if target == "invitation":
            return (self.invitation.email,)
        if target == "api_key":
            return (self.api_key.name, self.api_key.prefix)
        return (self.alice.email, self.alice.full_name, ANSWER_NOTE)


# --- What a request may have changed -----------------------------------------------------


def db_state() -> dict:
    """Every row a request against org data could change, in one comparable value (audit
    events apart: see `audit_events_after`)."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from django.contrib.sessions.models import Session

    from apps.accounts.models import Invitation, Membership, Organisation, User
    from apps.api.models import ApiKey
    from apps.assessments.models import Answer, AnswerVerification, Assessment
    from apps.reports.models import RemediationReport
    from apps.scoring.models import Score

    def rows(model, *fields):
        return list(model.objects.order_by("pk").values_list("pk", *fields))

    return {
        "organisations": rows(Organisation, "name", "mfa_required_for_members"),
        "users": rows(User, "email", "is_active", "is_staff", "is_superuser", "password"),
        "memberships": rows(Membership, "user_id", "organisation_id", "role", "audience"),
        "invitations": rows(
            Invitation,
            "organisation_id",
            "email",
            "role",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ),
        "email_addresses": rows(EmailAddress, "user_id", "email", "verified", "primary"),
        "authenticators": rows(Authenticator, "user_id", "type", "data"),
        "assessments": rows(
            Assessment,
            "user_id",
            "organisation_id",
            "pack_id",
            "audience",
            "status",
            "last_section_key",
            "updated_at",
            "submitted_at",
        ),
        "answers": rows(Answer, "assessment_id", "control_key", "answer_key", "note"),
        "scores": rows(Score, "assessment_id", "answers_sha256"),
        "reports": rows(RemediationReport, "assessment_id", "status", "attempts", "task_id"),
        "sessions": Session.objects.count(),
        "api_keys": rows(ApiKey, "organisation_id", "scopes", "expires_at", "revoked_at"),
        "verifications": rows(
            AnswerVerification, "assessment_id", "control_key", "answer_key", "disputed_at"
        ),
    }


def audit_mark() -> int:
    from apps.audit.models import AuditEvent

    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def audit_events_after(mark: int) -> list:
    from apps.audit.models import AuditEvent

    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk"))
