"""/api/v1/: thin views over the apps' services and selectors.

Each view names who may call it (`key_scopes`, `person_access`: see `permissions`), fetches
through `apps.api.selectors` (the one place API queries are scoped) and hands writes to
the owning app's services. Every request made with a key is recorded in the audit trail.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from apps.accounts import services as accounts_services
from apps.accounts.models import Audience, Membership
from apps.api import selectors
from apps.api.docs import PROBLEM, _problem, apply_documentation, documented
from apps.api.filters import (
    AssessmentFilter,
    AuditEventFilter,
    InvitationFilter,
    MemberFilter,
    ReportFilter,
)
from apps.api.models import Scope
from apps.api.pagination import Pagination
from apps.api.permissions import ANY_SCOPE, MEMBER, ORG_ADMIN, ApiAccess
from apps.api.principal import ApiKeyActor
from apps.api.serializers import (
    AnswerSerializer,
    AnswersWriteSerializer,
    AnswersWrittenSerializer,
    AssessmentCreateSerializer,
    AssessmentSerializer,
    AuditEventSerializer,
    CampaignAssignmentSerializer,
    CampaignSerializer,
    ComplianceSummarySerializer,
    ControlSerializer,
    DisputeSerializer,
    InvitationCreateSerializer,
    InvitationSerializer,
    MemberSerializer,
    OrganisationPlanSerializer,
    PackSerializer,
    ReportSerializer,
    ScenarioSerializer,
    ScoreSerializer,
    WhoAmISerializer,
)
from apps.assessments import services as assessment_services
from apps.assessments import verification
from apps.assessments.selectors import answers_for_assessment, verification_map
from apps.audit.middleware import audit_refused_lookup
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.catalogue import selectors as catalogue_selectors
from apps.compliance import selectors as compliance_selectors
from apps.reports import services as report_services
from apps.scoring.selectors import score_latest_for_assessment

PUBLIC_ID = OpenApiParameter("public_id", OpenApiTypes.UUID, OpenApiParameter.PATH)
EXAMPLE_ID = "3f0c7f64-5717-4562-b3fc-2c963f66afa6"


class ApiView(generics.GenericAPIView):
    """Base of every /api/v1/ view: access rules, no caching, and the audit of key use."""

    permission_classes = [ApiAccess]
    key_scopes: dict[str, str] = {}
    person_access: dict[str, str] = {}
    filter_backends: list = []
    pagination_class = None

    @property
    def requester(self) -> selectors.Requester:
        return selectors.requester_for(self.request)

    def audit_subject(self, person) -> None:
        """Name the person whose data this request touches (for the audit event)."""
        self.request._portcullis_audit_subject = person

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        # The schema says who may call each operation from the same rules that enforce it.
        apply_documentation(cls)

    def dispatch(self, request, *args, **kwargs):
        if request.method in SAFE_METHODS:
            return super().dispatch(request, *args, **kwargs)
        # A write and its audit event (finalize_response) commit together: one commit per
        # request instead of one for the service's transaction and another for the event
        # (each a disk flush on PostgreSQL; the 40-answer push paid for both). Services
        # keep their own atomic blocks, which become savepoints: a refused write still
        # rolls back alone, and its refusal is still recorded.
        with transaction.atomic():
            return super().dispatch(request, *args, **kwargs)

    def handle_exception(self, exc):
        user = getattr(self.request, "_user", None)
        if isinstance(exc, Http404 | NotFound) and getattr(user, "is_authenticated", False):
            # SECURITY: a refused look at someone's object is audited as on the pages
            # (apps/audit/middleware.py, which never sees the API's 404s: DRF answers them).
            audit_refused_lookup(actor=user, request=self.request._request)
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        user = getattr(request, "_user", None)
        if isinstance(user, ApiKeyActor):
            # SECURITY: every use of a key is attributable: one event per request, naming
            # the key, the route, the result and (where known) whose data it touched.
            audit_record(
                actor=user,
                action="api.request",
                organisation=user.key.organisation,
                subject=getattr(request, "_portcullis_audit_subject", None),
                outcome=AuditEvent.Outcome.ALLOWED
                if response.status_code < 400
                else AuditEvent.Outcome.DENIED,
                detail={
                    "method": request.method,
                    "path": request.path[:200],
                    "status": response.status_code,
                },
            )
        return response


class ListView(ApiView, generics.ListAPIView):
    from rest_framework.settings import api_settings as _settings

    filter_backends = list(_settings.DEFAULT_FILTER_BACKENDS)
    pagination_class = _settings.DEFAULT_PAGINATION_CLASS


# --- who am I -------------------------------------------------------------------------------


class WhoAmIView(ApiView):
    key_scopes = {"GET": ANY_SCOPE}
    person_access = {"GET": MEMBER}
    serializer_class = WhoAmISerializer

    @documented(
        summary="Who is calling",
        description="The key (or person) this request authenticates as, its organisation "
        "and scopes. Handy to check a key before wiring it into a script.",
        response=WhoAmISerializer,
        example={
            "kind": "api_key",
            "organisation": "Borough Electoral Services",
            "name": "Intune sync",
            "scopes": ["read:compliance", "write:assessments"],
            "expires_at": "2027-11-01T00:00:00Z",
        },
    )
    def get(self, request):
        requester = self.requester
        if requester.is_key:
            key = requester.key
            data = {
                "kind": "api_key",
                "organisation": key.organisation.name,
                "name": key.name,
                "scopes": list(key.scopes),
                "expires_at": key.expires_at,
            }
        else:
            organisation = requester.organisation
            data = {
                "kind": "session",
                "organisation": organisation.name if organisation else None,
                "name": request.user.display_name,
                "scopes": [],
                "expires_at": None,
            }
        return Response(WhoAmISerializer(data).data)


# --- catalogue ------------------------------------------------------------------------------


PACK_EXAMPLE = {
    "id": "mp-core",
    "version": "2026.1",
    "title": "Members of Parliament: core protections",
    "audiences": ["parliamentarian", "staff"],
    "sources": [{"title": "NCSC guidance for high-risk individuals"}],
    "loaded_at": "2026-10-01T09:00:00Z",
}
VERSION_PARAM = OpenApiParameter(
    "version", str, OpenApiParameter.QUERY, description="A pack version; the latest if omitted."
)
SLUG_PARAM = OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The pack's id.")


class PackListView(ApiView):
    key_scopes = {"GET": ANY_SCOPE}
    person_access = {"GET": MEMBER}
    serializer_class = PackSerializer

    @documented(
        summary="List packs",
        description="The latest version of every guidance pack (the catalogue is not "
        "organisation data: every caller sees the same).",
        response=PackSerializer(many=True),
        example=[PACK_EXAMPLE],
    )
    def get(self, request):
        return Response(PackSerializer(catalogue_selectors.pack_list_latest(), many=True).data)


def _pack(request, slug):
    version = request.query_params.get("version") or None
    return catalogue_selectors.pack_get(slug=slug, version=version)


class PackDetailView(ApiView):
    key_scopes = {"GET": ANY_SCOPE}
    person_access = {"GET": MEMBER}
    serializer_class = PackSerializer

    @documented(
        summary="One pack",
        description="One pack (its latest version, or `?version=`).",
        response=PackSerializer,
        example=PACK_EXAMPLE,
        parameters=[SLUG_PARAM, VERSION_PARAM],
    )
    def get(self, request, slug):
        return Response(PackSerializer(_pack(request, slug)).data)


class PackControlListView(ApiView):
    key_scopes = {"GET": ANY_SCOPE}
    person_access = {"GET": MEMBER}
    serializer_class = ControlSerializer

    @documented(
        summary="A pack's controls",
        description="Every control (question) of a pack in order: answers with their "
        "implementation levels, branching (`applies_if`), effort and remediation steps. The "
        "`id` and answer `key`s are what answer writes use.",
        response=ControlSerializer(many=True),
        example=[
            {
                "id": "mfa-email",
                "section": "accounts",
                "title": "2-step verification on email",
                "question": "Is 2-step verification turned on for your email?",
                "help": "...",
                "answers": [{"key": "yes", "label": "Yes", "level": 1.0}],
                "applies_if": None,
                "audiences": ["parliamentarian"],
                "effort": "low",
                "critical": True,
                "remediation": ["Open your account's security settings..."],
                "references": [],
                "mitigates": ["T1078"],
            }
        ],
        parameters=[SLUG_PARAM, VERSION_PARAM],
    )
    def get(self, request, slug):
        pack = _pack(request, slug)
        controls = catalogue_selectors.control_list(pack=pack)
        return Response(ControlSerializer(controls, many=True).data)


class PackScenarioListView(ApiView):
    key_scopes = {"GET": ANY_SCOPE}
    person_access = {"GET": MEMBER}
    serializer_class = ScenarioSerializer

    @documented(
        summary="A pack's scenarios and attack trees",
        description="The documented attack scenarios of a pack, each with its attack tree.",
        response=ScenarioSerializer(many=True),
        example=[
            {
                "id": "apt31-recon",
                "title": "APT31 reconnaissance",
                "summary": "...",
                "audiences": ["parliamentarian"],
                "bands": {"low": 0.1},
                "tree": {"type": "OR", "children": []},
            }
        ],
        parameters=[SLUG_PARAM, VERSION_PARAM],
    )
    def get(self, request, slug):
        pack = _pack(request, slug)
        return Response(
            ScenarioSerializer(catalogue_selectors.scenario_list(pack=pack), many=True).data
        )


# --- assessments ----------------------------------------------------------------------------

ASSESSMENT_EXAMPLE = {
    "id": EXAMPLE_ID,
    "member": "a1f5a3c0-0d7e-4c4b-9a49-4f1f54d1b0d2",
    "person": "Alice Member MP",
    "pack": "mp-core",
    "pack_version": "2026.1",
    "audience": "parliamentarian",
    "status": "in_progress",
    "created_at": "2026-11-02T10:00:00Z",
    "updated_at": "2026-11-02T10:20:00Z",
    "submitted_at": None,
}


class AssessmentListView(ListView):
    key_scopes = {"GET": Scope.READ_ASSESSMENTS, "POST": Scope.WRITE_ASSESSMENTS}
    person_access = {"GET": MEMBER, "POST": MEMBER}
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ["created_at", "updated_at", "submitted_at"]

    def get_queryset(self):
        return selectors.assessment_list_for_requester(self.requester)

    @documented(
        summary="List assessments",
        description="Assessments in reach: a key sees its organisation's current members'; "
        "a person sees their own. Filter by `status`, `pack`, `member`, `updated_after`; "
        "order with `ordering=-updated_at`.",
        response=AssessmentSerializer(many=True),
        example=ASSESSMENT_EXAMPLE,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @documented(
        summary="Start an assessment",
        description="Start (or find the open) assessment of a pack: for a member (`member`, "
        "with a key) or for yourself (signed in). Returns 201 with the assessment; asking "
        "again while one is open returns that one.",
        request=AssessmentCreateSerializer,
        request_example={"pack": "mp-core", "member": "a1f5a3c0-0d7e-4c4b-9a49-4f1f54d1b0d2"},
        response=AssessmentSerializer,
        example=ASSESSMENT_EXAMPLE,
        status=201,
    )
    def post(self, request, *args, **kwargs):
        data = AssessmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pack = catalogue_selectors.pack_latest(slug=data.validated_data["pack"])
        member_id = data.validated_data.get("member")
        if self.requester.is_key:
            if member_id is None:
                raise serializers.ValidationError({"member": ["Say which member it is for."]})
            membership = selectors.membership_get_for_requester(self.requester, member_id)
            self.audit_subject(membership.user)
            assessment = verification.assessment_start_for_member(
                actor=request.user, membership=membership, pack=pack
            )
        else:
            if member_id is not None:
                raise serializers.ValidationError(
                    {"member": ["People start their own assessments only."]}
                )
            assessment = assessment_services.assessment_start(actor=request.user, pack=pack)
        assessment = selectors.assessment_get_for_requester(self.requester, assessment.public_id)
        return Response(AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class AssessmentObjectView(ApiView):
    def get_assessment(self, public_id):
        assessment = selectors.assessment_get_for_requester(self.requester, public_id)
        self.audit_subject(assessment.user)
        return assessment


class AssessmentDetailView(AssessmentObjectView):
    key_scopes = {"GET": Scope.READ_ASSESSMENTS}
    person_access = {"GET": MEMBER}
    serializer_class = AssessmentSerializer

    @documented(
        summary="One assessment",
        description="One assessment in reach.",
        response=AssessmentSerializer,
        example=ASSESSMENT_EXAMPLE,
        parameters=[PUBLIC_ID],
    )
    def get(self, request, public_id):
        return Response(AssessmentSerializer(self.get_assessment(public_id)).data)


ANSWER_EXAMPLE = {
    "control": "disk-encryption",
    "answer": "yes",
    "note": None,
    "updated_at": "2026-11-02T10:20:00Z",
    "source": "api",
    "verified": True,
    "verification": {
        "source": "api",
        "source_name": "Intune sync",
        "answer": "yes",
        "evidence": {"reference": "intune:device/4411", "observed_at": "2026-11-02T09:58:00Z"},
        "verified_at": "2026-11-02T10:20:00Z",
        "disputed_at": None,
        "dispute_reason": "",
    },
}


def _answer_rows(assessment, *, show_notes: bool) -> list[dict]:
    stored = answers_for_assessment(assessment=assessment)
    verifications = verification_map(assessment=assessment)
    from apps.assessments.models import Answer

    updated = dict(
        Answer.objects.filter(assessment_id=assessment.pk).values_list("control_key", "updated_at")
    )
    rows = []
    for control_key in sorted(stored):
        answer = stored[control_key]
        confirmed = verifications.get(control_key)
        verified = (
            confirmed is not None
            and not confirmed.is_disputed
            and confirmed.answer_key == answer.answer_key
        )
        rows.append(
            {
                "control": control_key,
                "answer": answer.answer_key,
                "note": answer.note if show_notes else None,
                "updated_at": updated.get(control_key),
                "source": "api" if verified else "person",
                "verified": verified,
                "verification": confirmed,
            }
        )
    return rows


class AnswerListView(AssessmentObjectView):
    key_scopes = {"GET": Scope.READ_ASSESSMENTS, "POST": Scope.WRITE_ASSESSMENTS}
    person_access = {"GET": MEMBER, "POST": MEMBER}
    serializer_class = AnswerSerializer

    @documented(
        summary="An assessment's answers",
        description="Every stored answer, with whether the IT team confirmed it "
        "(`verified`), the confirmation and its evidence, and any dispute by the person. "
        "Notes are the person's own: null for keys.",
        response=AnswerSerializer(many=True),
        example=[ANSWER_EXAMPLE],
        parameters=[PUBLIC_ID],
    )
    def get(self, request, public_id):
        assessment = self.get_assessment(public_id)
        rows = _answer_rows(assessment, show_notes=not self.requester.is_key)
        return Response(AnswerSerializer(rows, many=True).data)

    @documented(
        summary="Write answers in bulk",
        description="Write up to 200 answers at once, all or nothing. With a key the "
        "answers are **verified**: stored with source `api`, the key's name and the "
        "`evidence` given; the person sees them as confirmed by their IT team and cannot "
        "change them without disputing. An answer the person disputed is left alone "
        "(`skipped`, with their reason) unless the key now confirms the person's answer. "
        "Signed in, a person writes their own answers (notes included) but not over a "
        "confirmed one. A submitted assessment answers 409.",
        request=AnswersWriteSerializer,
        request_example={
            "answers": [
                {
                    "control": "disk-encryption",
                    "answer": "yes",
                    "evidence": {
                        "reference": "intune:device/4411",
                        "observed_at": "2026-11-02T09:58:00Z",
                    },
                }
            ]
        },
        response=AnswersWrittenSerializer,
        example={"saved": ["disk-encryption"], "skipped": {}},
        parameters=[PUBLIC_ID],
        extra_errors={(409, PROBLEM): _problem("The assessment has been submitted.")},
    )
    def post(self, request, public_id):
        assessment = self.get_assessment(public_id)
        data = AnswersWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        is_key = self.requester.is_key
        entries = [
            verification.AnswerEntry(
                control_key=item["control"],
                answer_key=item["answer"],
                note=None if is_key else item.get("note"),
                evidence_reference=(item.get("evidence") or {}).get("reference", "") or "",
                evidence_observed_at=(item.get("evidence") or {}).get("observed_at"),
            )
            for item in data.validated_data["answers"]
        ]
        if is_key:
            result = verification.answers_write_verified(
                actor=request.user, assessment=assessment, entries=entries
            )
        else:
            if any(item.get("evidence") for item in data.validated_data["answers"]):
                raise serializers.ValidationError(
                    {"answers": ["Evidence comes from the IT team's systems, through a key."]}
                )
            result = verification.answers_write_bulk(
                actor=request.user, assessment=assessment, entries=entries
            )
        return Response(
            AnswersWrittenSerializer({"saved": result.saved, "skipped": result.skipped}).data
        )


class AnswerDisputeView(AssessmentObjectView):
    person_access = {"POST": MEMBER}
    serializer_class = DisputeSerializer

    @documented(
        summary="Dispute a confirmed answer",
        description="The person says an answer their IT team confirmed is wrong, and why. "
        "The dispute is recorded for the organisation's admins; the person may then change "
        "the answer.",
        request=DisputeSerializer,
        request_example={"reason": "I use my own laptop for constituency work too."},
        response=AnswerSerializer,
        example=ANSWER_EXAMPLE,
        parameters=[PUBLIC_ID, OpenApiParameter("control", str, OpenApiParameter.PATH)],
        extra_errors={(409, PROBLEM): _problem("The assessment has been submitted.")},
    )
    def post(self, request, public_id, control):
        assessment = self.get_assessment(public_id)
        data = DisputeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verification.answer_dispute(
            actor=request.user,
            assessment=assessment,
            control_key=control,
            reason=data.validated_data["reason"],
        )
        rows = [r for r in _answer_rows(assessment, show_notes=True) if r["control"] == control]
        if not rows:
            raise NotFound("No such answer.")
        return Response(AnswerSerializer(rows[0]).data)


class AssessmentSubmitView(AssessmentObjectView):
    person_access = {"POST": MEMBER}
    serializer_class = ScoreSerializer

    @documented(
        summary="Submit an assessment",
        description="Lock your assessment, record its score and queue its report. Only the "
        "person submits: a key pushes evidence, the person decides when they are done.",
        request=None,
        response=ScoreSerializer,
        example={"id": EXAMPLE_ID, "baseline_met": False},
        parameters=[PUBLIC_ID],
        extra_errors={(409, PROBLEM): _problem("Already submitted.")},
    )
    def post(self, request, public_id):
        assessment = self.get_assessment(public_id)
        score = assessment_services.assessment_submit(actor=request.user, assessment=assessment)
        return Response(ScoreSerializer(score).data)


SCORE_EXAMPLE = {
    "id": EXAMPLE_ID,
    "assessment": EXAMPLE_ID,
    "created_at": "2026-11-02T10:30:00Z",
    "engine_version": "2.0.0",
    "pack_version": "mp-core@2026.1",
    "baseline_met": False,
    "exposures": {"apt31-recon": 0.41},
    "bands": {"apt31-recon": "moderate"},
    "open_routes": {"apt31-recon": 1.0},
    "scenarios": [{"id": "apt31-recon", "exposure": 0.41, "band": "moderate"}],
    "sections": [{"id": "accounts", "coverage": 0.5}],
    "plan": [{"controls": ["mfa-email"], "title": "...", "effort": 1, "cuts": {}}],
    "critical_gaps": ["mfa-email"],
    "find_out": [],
}


class AssessmentScoreView(AssessmentObjectView):
    key_scopes = {"GET": Scope.READ_ASSESSMENTS}
    person_access = {"GET": MEMBER}
    serializer_class = ScoreSerializer

    @documented(
        summary="Score, plan and open routes",
        description="The latest recorded score of an assessment (recorded at submit): "
        "exposure and band per scenario, open attack routes, section coverage, the ranked "
        "remediation plan, critical gaps. 404 until there is one.",
        response=ScoreSerializer,
        example=SCORE_EXAMPLE,
        parameters=[PUBLIC_ID],
    )
    def get(self, request, public_id):
        assessment = self.get_assessment(public_id)
        score = score_latest_for_assessment(assessment=assessment)
        if score is None:
            raise NotFound("No score yet: the assessment has not been submitted.")
        return Response(ScoreSerializer(score).data)


class AssessmentReportRequestView(AssessmentObjectView):
    person_access = {"POST": MEMBER}
    serializer_class = ReportSerializer

    @documented(
        summary="Request a report",
        description="Queue the report of your submitted assessment (or get the ready one). "
        "Poll the report's status; download it when `status` is `ready`.",
        request=None,
        response=ReportSerializer,
        example={"id": EXAMPLE_ID, "assessment": EXAMPLE_ID, "status": "queued"},
        status=202,
        parameters=[PUBLIC_ID],
        extra_errors={(409, PROBLEM): _problem("Not submitted yet.")},
    )
    def post(self, request, public_id):
        assessment = self.get_assessment(public_id)
        report = report_services.report_request(actor=request.user, assessment=assessment)
        report = selectors.report_get_for_requester(self.requester, report.public_id)
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


# --- reports --------------------------------------------------------------------------------

REPORT_EXAMPLE = {
    "id": EXAMPLE_ID,
    "assessment": EXAMPLE_ID,
    "status": "ready",
    "created_at": "2026-11-02T10:30:00Z",
    "finished_at": "2026-11-02T10:30:02Z",
    "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "size": 81234,
    "pdf_url": f"/api/v1/reports/{EXAMPLE_ID}/download/?format=pdf",
    "html_url": f"/api/v1/reports/{EXAMPLE_ID}/download/?format=html",
}


class ReportListView(ListView):
    key_scopes = {"GET": Scope.READ_REPORTS}
    person_access = {"GET": MEMBER}
    serializer_class = ReportSerializer
    filterset_class = ReportFilter
    ordering_fields = ["created_at", "finished_at"]

    def get_queryset(self):
        return selectors.report_list_for_requester(self.requester).order_by("-created_at", "-pk")

    @documented(
        summary="List reports",
        description="Reports in reach, newest first; filter by `status` and `assessment`.",
        response=ReportSerializer(many=True),
        example=REPORT_EXAMPLE,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReportObjectView(ApiView):
    def get_report(self, public_id):
        report = selectors.report_get_for_requester(self.requester, public_id)
        self.audit_subject(report.assessment.user)
        return report


class ReportDetailView(ReportObjectView):
    key_scopes = {"GET": Scope.READ_REPORTS}
    person_access = {"GET": MEMBER}
    serializer_class = ReportSerializer

    @documented(
        summary="A report's status",
        description="Where a report stands: `queued`, `running`, `ready` or `failed`.",
        response=ReportSerializer,
        example=REPORT_EXAMPLE,
        parameters=[PUBLIC_ID],
    )
    def get(self, request, public_id):
        return Response(ReportSerializer(self.get_report(public_id)).data)


class FileFormatNegotiation(DefaultContentNegotiation):
    """`?format=` names the file to download here (pdf or html), not a DRF renderer: the
    default negotiation read it as one and answered 404 for every download. Answers that
    are not the file (errors) are problem JSON, the first renderer."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class ReportDownloadView(ReportObjectView):
    key_scopes = {"GET": Scope.READ_REPORTS}
    person_access = {"GET": MEMBER}
    serializer_class = None
    content_negotiation_class = FileFormatNegotiation

    @documented(
        summary="Download a report",
        description="The ready report as a PDF (`?format=pdf`, the default) or HTML "
        "(`?format=html`), as an attachment. Recorded in the audit trail unless the person "
        "downloads their own.",
        response=OpenApiTypes.BINARY,
        parameters=[
            PUBLIC_ID,
            OpenApiParameter("format", str, OpenApiParameter.QUERY, enum=["pdf", "html"]),
        ],
    )
    def get(self, request, public_id):
        kind = request.query_params.get("format", "pdf")
        if kind not in report_services.DOWNLOAD_KINDS:
            raise serializers.ValidationError({"format": ["Choose pdf or html."]})
        report = self.get_report(public_id)
        download = report_services.report_open(actor=request.user, report=report, kind=kind)
        response = FileResponse(
            download.file,
            as_attachment=True,
            filename=download.filename,
            content_type=download.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- members and invitations ------------------------------------------------------------------

MEMBER_EXAMPLE = {
    "id": "a1f5a3c0-0d7e-4c4b-9a49-4f1f54d1b0d2",
    "name": "Alice Member MP",
    "email": "alice@example.org",
    "role": "member",
    "audience": "parliamentarian",
    "has_mfa": True,
    "joined_at": "2026-01-05T09:00:00Z",
}


class MemberListView(ListView):
    key_scopes = {"GET": Scope.ADMIN_MEMBERS}
    person_access = {"GET": ORG_ADMIN}
    serializer_class = MemberSerializer
    filterset_class = MemberFilter
    ordering_fields = ["created_at", "user__email"]

    def get_queryset(self):
        return selectors.membership_list_for_requester(self.requester)

    @documented(
        summary="List members",
        description="The organisation's members, with role, audience and whether they have "
        "a second factor. Read only: roles are changed in the browser by an admin.",
        response=MemberSerializer(many=True),
        example=MEMBER_EXAMPLE,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MemberDetailView(ApiView):
    key_scopes = {"GET": Scope.ADMIN_MEMBERS}
    person_access = {"GET": ORG_ADMIN}
    serializer_class = MemberSerializer

    @documented(
        summary="One member",
        description="One member of the organisation.",
        response=MemberSerializer,
        example=MEMBER_EXAMPLE,
        parameters=[PUBLIC_ID],
    )
    def get(self, request, public_id):
        membership = selectors.membership_get_for_requester(self.requester, public_id)
        return Response(MemberSerializer(membership).data)


INVITATION_EXAMPLE = {
    "id": EXAMPLE_ID,
    "email": "new.caseworker@example.org",
    "full_name": "New Caseworker",
    "role": "member",
    "audience": "staff",
    "created_at": "2026-11-02T10:00:00Z",
    "expires_at": "2026-11-09T10:00:00Z",
    "accepted_at": None,
    "revoked_at": None,
}


class InvitationListView(ListView):
    key_scopes = {"GET": Scope.ADMIN_MEMBERS, "POST": Scope.ADMIN_MEMBERS}
    person_access = {"GET": ORG_ADMIN, "POST": ORG_ADMIN}
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    ordering_fields = ["created_at", "expires_at"]

    def get_queryset(self):
        return selectors.invitation_list_for_requester(self.requester)

    @documented(
        summary="List invitations",
        description="The organisation's invitations; `?pending=true` for those still open.",
        response=InvitationSerializer(many=True),
        example=INVITATION_EXAMPLE,
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @documented(
        summary="Invite a member",
        description="Email a single-use, expiring invitation to join as a member (the role "
        "is always `member`).",
        request=InvitationCreateSerializer,
        request_example={"email": "new.caseworker@example.org", "audience": "staff"},
        response=InvitationSerializer,
        example=INVITATION_EXAMPLE,
        status=201,
    )
    def post(self, request, *args, **kwargs):
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation = accounts_services.member_invite(
            actor=request.user,
            organisation=self.requester.organisation,
            role=Membership.Role.MEMBER,
            **data.validated_data,
        )
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationRevokeView(ApiView):
    key_scopes = {"POST": Scope.ADMIN_MEMBERS}
    person_access = {"POST": ORG_ADMIN}
    serializer_class = InvitationSerializer

    @documented(
        summary="Revoke an invitation",
        description="Withdraw a pending invitation: its link stops working at once.",
        request=None,
        response=InvitationSerializer,
        example=INVITATION_EXAMPLE,
        parameters=[PUBLIC_ID],
    )
    def post(self, request, public_id):
        invitation = selectors.invitation_get_for_requester(self.requester, public_id)
        invitation = accounts_services.invitation_revoke(actor=request.user, invitation=invitation)
        return Response(InvitationSerializer(invitation).data)


# --- audit ----------------------------------------------------------------------------------


class AuditEventListView(ListView):
    person_access = {"GET": ORG_ADMIN}
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    ordering_fields = ["occurred_at"]

    def get_queryset(self):
        return selectors.audit_event_list_for_requester(self.requester)

    @documented(
        summary="Audit events",
        description="Who saw or changed what in the organisation, newest first, including "
        "every API key request. For organisation admins signed in (not for keys).",
        response=AuditEventSerializer(many=True),
        example={
            "id": EXAMPLE_ID,
            "occurred_at": "2026-11-02T10:20:00Z",
            "actor": "api-key pcl_3f9a1c2b (Intune sync)",
            "action": "answers.verified",
            "object_type": "Assessment",
            "object_id": EXAMPLE_ID,
            "outcome": "allowed",
            "ip_address": "10.0.0.4",
            "request_id": "b1946ac92492d2347c6235b4d2611184",
            "detail": {"controls": ["disk-encryption"]},
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


# --- compliance (thin: every figure comes from apps.compliance.selectors) ---------------------

SUMMARY_FILTERS = [
    OpenApiParameter(
        "campaign", OpenApiTypes.UUID, OpenApiParameter.QUERY, description="One campaign's id."
    ),
    OpenApiParameter(
        "audience",
        str,
        OpenApiParameter.QUERY,
        enum=list(Audience.values),
        description="An audience.",
    ),
]
CAMPAIGN_EXAMPLE = {
    "id": EXAMPLE_ID,
    "name": "Spring check 2026",
    "pack": "mp-core",
    "pack_title": "Members of Parliament: core protections",
    "audience": "staff",
    "due_date": "2026-04-30",
    "recurrence": "none",
    "election_date": None,
    "created_at": "2026-04-01T09:00:00Z",
}


class ComplianceView(ApiView):
    """Org admins' sessions, or keys with read:compliance; the selectors scope everything
    to the requester's organisation (another organisation's campaign is a 404)."""

    key_scopes = {"GET": Scope.READ_COMPLIANCE}
    person_access = {"GET": ORG_ADMIN}

    def filters(self):
        try:
            return compliance_selectors.filters_for_user(
                user=self.request.user,
                campaign=self.request.query_params.get("campaign") or None,
                audience=self.request.query_params.get("audience") or None,
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc


class ComplianceSummaryView(ComplianceView):
    serializer_class = ComplianceSummarySerializer

    @documented(
        summary="Compliance summary",
        description="The organisation dashboard's figures: completion per campaign, and "
        "(only when at least `min_people` submitted people are in the filtered group, as on "
        "the dashboard) the share who have not met the baseline and the band distribution "
        "per scenario. Below that, `results` is `{hidden: true}` with no figures. Filter by "
        "`campaign` and `audience`.",
        response=ComplianceSummarySerializer,
        example={
            "organisation": "Borough Electoral Services",
            "filters": {"campaign": "", "audience": ""},
            "completion": [
                {
                    "campaign": EXAMPLE_ID,
                    "name": "Spring check 2026",
                    "pack": "mp-core",
                    "due_date": "2026-04-30",
                    "total": 12,
                    "not_started": 2,
                    "in_progress": 1,
                    "submitted": 9,
                    "overdue": 0,
                    "percent_submitted": 75,
                }
            ],
            "results": {
                "hidden": False,
                "min_people": 5,
                "people": 9,
                "baseline_not_met": 4,
                "baseline_not_met_percent": 44,
                "scenarios": [
                    {
                        "id": "account-takeover",
                        "title": "Account takeover",
                        "people": 9,
                        "bands": [{"band": "low", "count": 5, "percent": 56}],
                        "trend": [],
                    }
                ],
                "trend": [],
            },
        },
        parameters=SUMMARY_FILTERS,
    )
    def get(self, request):
        data = compliance_selectors.dashboard_for_user(user=request.user, filters=self.filters())
        return Response(ComplianceSummarySerializer(data).data)


class OrganisationPlanView(ComplianceView):
    serializer_class = OrganisationPlanSerializer

    @documented(
        summary="Organisation plan",
        description="The controls that would cut the organisation's exposure most per unit "
        "of effort, per pack, each with the exposure before and after. Hidden (no figures) "
        "below `min_people` submitted people, like every aggregate.",
        response=OrganisationPlanSerializer,
        example={
            "hidden": False,
            "min_people": 5,
            "people": 9,
            "packs": [
                {
                    "pack": "mp-core",
                    "title": "Members of Parliament: core protections",
                    "people": 9,
                    "exposure": 61,
                    "steps": [
                        {
                            "control": "T-ACC-01",
                            "title": "Turn on two-step verification",
                            "effort": "low",
                            "weight": 1,
                            "people": 6,
                            "cut": 23.0,
                            "cut_per_effort": 23.0,
                            "exposure_before": 61,
                            "exposure_after": 38,
                        }
                    ],
                }
            ],
        },
        parameters=SUMMARY_FILTERS,
    )
    def get(self, request):
        data = compliance_selectors.organisation_plan_for_user(
            user=request.user, filters=self.filters()
        )
        return Response(OrganisationPlanSerializer(data).data)


class CampaignListView(ComplianceView):
    serializer_class = CampaignSerializer
    pagination_class = Pagination

    @documented(
        summary="List campaigns",
        description="The organisation's campaigns, newest first. Read only: campaigns are "
        "launched in the browser.",
        response=CampaignSerializer(many=True),
        example=CAMPAIGN_EXAMPLE,
    )
    def get(self, request):
        campaigns = compliance_selectors.campaign_list_for_user(user=request.user).order_by(
            "-created_at", "-pk"
        )
        page = self.paginate_queryset(campaigns)
        return self.get_paginated_response(CampaignSerializer(page, many=True).data)


class CampaignDetailView(ComplianceView):
    serializer_class = CampaignSerializer

    @documented(
        summary="Get a campaign",
        description="One campaign of the organisation.",
        response=CampaignSerializer,
        example=CAMPAIGN_EXAMPLE,
        parameters=[PUBLIC_ID],
    )
    def get(self, request, public_id):
        campaign = compliance_selectors.campaign_get_for_user(
            user=request.user, public_id=public_id
        )
        return Response(CampaignSerializer(campaign).data)


class CampaignAssignmentListView(ComplianceView):
    serializer_class = CampaignAssignmentSerializer
    pagination_class = Pagination

    @documented(
        summary="List a campaign's assignments",
        description="Each current member assigned to the campaign: their member id, "
        "audience, status (`not_started`, `in_progress`, `submitted`, `overdue`) and due "
        "date. No names and no results: those stay in the browser, behind a recorded reason.",
        response=CampaignAssignmentSerializer(many=True),
        example={
            "member": EXAMPLE_ID,
            "audience": "staff",
            "status": "submitted",
            "due_date": "2026-04-30",
        },
        parameters=[PUBLIC_ID],
    )
    def get(self, request, public_id):
        campaign = compliance_selectors.campaign_get_for_user(
            user=request.user, public_id=public_id
        )
        # Paged in the database: only the page's members are read (a fixed number of
        # queries at any size), and no results, which this route never shows.
        rows = compliance_selectors.member_rows_for_user(
            user=request.user,
            filters=compliance_selectors.Filters(campaign=campaign),
            results=False,
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(CampaignAssignmentSerializer(page, many=True).data)
