"""Explicit input and output serializers for /api/v1/.

Outputs list their fields; inputs accept only what a route may change. Nothing here can
set an organisation, a user, a role, a score or an audit row: those fields do not exist
on any input serializer, and unknown fields are refused (`StrictInput`).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.accounts.models import Audience
from apps.api.models import Scope


class StrictInput(serializers.Serializer):
    """An input serializer that refuses fields it does not know (mass assignment)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field cannot be set."] for name in unknown}
                )
        return super().to_internal_value(data)


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField()
    errors = serializers.DictField(required=False, child=serializers.JSONField())


class WhoAmISerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["api_key", "session"])
    organisation = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField(allow_null=True)


# --- catalogue -----------------------------------------------------------------------------


class PackSerializer(serializers.Serializer):
    id = serializers.CharField(source="slug")
    version = serializers.CharField()
    title = serializers.CharField()
    audiences = serializers.ListField(child=serializers.CharField())
    sources = serializers.JSONField()
    loaded_at = serializers.DateTimeField()


class ControlSerializer(serializers.Serializer):
    id = serializers.CharField(source="key")
    section = serializers.CharField(source="section.key")
    title = serializers.CharField()
    question = serializers.CharField()
    help = serializers.CharField()
    answers = serializers.JSONField(help_text="[{key, label, level}]")
    applies_if = serializers.JSONField(allow_null=True)
    audiences = serializers.ListField(child=serializers.CharField())
    effort = serializers.CharField()
    critical = serializers.BooleanField()
    remediation = serializers.JSONField()
    references = serializers.JSONField()
    mitigates = serializers.JSONField()


class ScenarioSerializer(serializers.Serializer):
    id = serializers.CharField(source="key")
    title = serializers.CharField()
    summary = serializers.CharField()
    audiences = serializers.ListField(child=serializers.CharField())
    bands = serializers.JSONField()
    tree = serializers.JSONField(help_text="The attack tree: AND/OR nodes and LEAF steps.")


# --- assessments and answers ------------------------------------------------------------------


class AssessmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    member = serializers.SerializerMethodField()
    person = serializers.CharField(source="user.display_name")
    pack = serializers.CharField(source="pack.slug")
    pack_version = serializers.CharField(source="pack.version")
    audience = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)

    def get_member(self, obj) -> str | None:
        membership = getattr(obj.user, "membership", None)
        return str(membership.public_id) if membership is not None else None


class AssessmentCreateSerializer(StrictInput):
    pack = serializers.SlugField(help_text="The pack's id; its latest version is used.")
    member = serializers.UUIDField(
        required=False,
        help_text="With an API key: the member to start it for. A person starts their own.",
    )


class EvidenceSerializer(StrictInput):
    reference = serializers.CharField(max_length=500, required=False, allow_blank=True)
    observed_at = serializers.DateTimeField(required=False, allow_null=True)


class VerificationSerializer(serializers.Serializer):
    source = serializers.CharField()
    source_name = serializers.CharField(help_text="The name of the API key that confirmed it.")
    answer = serializers.CharField(source="answer_key", help_text="The answer confirmed.")
    evidence = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField()
    disputed_at = serializers.DateTimeField(allow_null=True)
    dispute_reason = serializers.CharField(allow_blank=True)

    def get_evidence(self, obj) -> dict | None:
        if not obj.evidence_reference and obj.evidence_observed_at is None:
            return None
        return {
            "reference": obj.evidence_reference,
            "observed_at": obj.evidence_observed_at.isoformat()
            if obj.evidence_observed_at
            else None,
        }


class AnswerSerializer(serializers.Serializer):
    control = serializers.CharField()
    answer = serializers.CharField()
    note = serializers.CharField(
        allow_null=True, help_text="The person's own note; never shown to an API key (null)."
    )
    updated_at = serializers.DateTimeField()
    source = serializers.ChoiceField(
        choices=["person", "api"], help_text="api: confirmed by the IT team (verified)."
    )
    verified = serializers.BooleanField()
    verification = VerificationSerializer(allow_null=True)


class AnswerInputSerializer(StrictInput):
    control = serializers.CharField(max_length=32)
    answer = serializers.CharField(max_length=32)
    note = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        help_text="A person's note. Ignored for API keys: notes stay the person's own.",
    )
    evidence = EvidenceSerializer(
        required=False, help_text="API keys: what the IT team checked, and when."
    )


ANSWER_FIELDS = frozenset({"control", "answer", "note", "evidence"})
EVIDENCE_FIELDS = frozenset({"reference", "observed_at"})


def _text(value, name: str, limit: int, *, blank: bool) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{name}: not a string.")
    if len(value) > limit:
        raise ValueError(f"{name}: at most {limit} characters.")
    if not blank and not value.strip():
        raise ValueError(f"{name}: may not be blank.")
    return value


@extend_schema_field(AnswerInputSerializer(many=True))
class AnswerItemsField(serializers.Field):
    """The `answers` list of a bulk write, checked by hand: the same rules as
    AnswerInputSerializer (which documents it), without building a nested serializer per
    item on the API's hottest write."""

    default_error_messages = {"invalid": "Send a list of 1 to 200 answers."}

    def to_internal_value(self, data):
        if not isinstance(data, list) or not 1 <= len(data) <= 200:
            self.fail("invalid")
        items, errors = [], {}
        for index, item in enumerate(data):
            try:
                items.append(self._item(item))
            except ValueError as exc:
                errors[str(index)] = [str(exc)]
        if errors:
            raise serializers.ValidationError(errors)
        return items

    @staticmethod
    def _item(item) -> dict:
        if not isinstance(item, dict):
            raise ValueError("Each answer is an object with control and answer.")
        unknown = sorted(set(item) - ANSWER_FIELDS)
        if unknown:
            raise ValueError(f"{', '.join(unknown)}: this field cannot be set.")
        if "control" not in item or "answer" not in item:
            raise ValueError("control and answer are required.")
        result = {
            "control": _text(item["control"], "control", 32, blank=False),
            "answer": _text(item["answer"], "answer", 32, blank=False),
        }
        if "note" in item:
            result["note"] = _text(item["note"], "note", 2000, blank=True)
        evidence = item.get("evidence")
        if evidence is not None:
            if not isinstance(evidence, dict):
                raise ValueError("evidence: an object with reference and observed_at.")
            unknown = sorted(set(evidence) - EVIDENCE_FIELDS)
            if unknown:
                raise ValueError(f"evidence.{', '.join(unknown)}: this field cannot be set.")
            checked = {}
            if "reference" in evidence:
                checked["reference"] = _text(
                    evidence["reference"], "evidence.reference", 500, blank=True
                )
            observed = evidence.get("observed_at")
            if observed is not None:
                parsed = parse_datetime(observed) if isinstance(observed, str) else None
                if parsed is None:
                    raise ValueError("evidence.observed_at: a date and time (ISO 8601).")
                if timezone.is_naive(parsed):
                    parsed = timezone.make_aware(parsed)
                checked["observed_at"] = parsed
            result["evidence"] = checked
        return result

    def to_representation(self, value):
        return value


class AnswersWriteSerializer(StrictInput):
    answers = AnswerItemsField()


class AnswersWrittenSerializer(serializers.Serializer):
    saved = serializers.ListField(child=serializers.CharField())
    skipped = serializers.DictField(
        child=serializers.CharField(),
        help_text="Answers left alone, and why (the person disputed the confirmed answer).",
    )


class DisputeSerializer(StrictInput):
    reason = serializers.CharField(max_length=1000)


class ScoreSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    assessment = serializers.UUIDField(source="assessment.public_id")
    created_at = serializers.DateTimeField()
    engine_version = serializers.CharField()
    pack_version = serializers.SerializerMethodField()
    baseline_met = serializers.BooleanField()
    exposures = serializers.DictField(child=serializers.FloatField())
    bands = serializers.DictField(child=serializers.CharField())
    open_routes = serializers.SerializerMethodField(
        help_text="Per scenario, the expected number of attack routes still open (engine 2)."
    )
    scenarios = serializers.JSONField(source="result.scenarios")
    sections = serializers.JSONField(source="result.sections")
    plan = serializers.JSONField(
        source="result.plan", help_text="The ranked remediation plan, with each step's cuts."
    )
    critical_gaps = serializers.JSONField(source="result.critical_gaps")
    find_out = serializers.JSONField(source="result.find_out")

    def get_pack_version(self, obj) -> str:
        return f"{obj.result.get('pack', '')}@{obj.result.get('version', '')}"

    def get_open_routes(self, obj) -> dict[str, float]:
        return {
            s["id"]: s["open_routes"]
            for s in obj.result.get("scenarios", [])
            if s.get("open_routes") is not None
        }


# --- reports --------------------------------------------------------------------------------


class ReportSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    assessment = serializers.UUIDField(source="assessment.public_id")
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    sha256 = serializers.CharField(allow_blank=True, help_text="Of the PDF.")
    size = serializers.IntegerField(allow_null=True)
    pdf_url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    def _url(self, obj, kind) -> str | None:
        if not obj.is_ready:
            return None
        path = reverse("api:report-download", args=[obj.public_id])
        return f"{path}?format={kind}"

    def get_pdf_url(self, obj) -> str | None:
        return self._url(obj, "pdf")

    def get_html_url(self, obj) -> str | None:
        return self._url(obj, "html")


# --- members, invitations, audit ---------------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField(source="user.full_name")
    email = serializers.EmailField(source="user.email")
    role = serializers.CharField()
    audience = serializers.CharField()
    has_mfa = serializers.BooleanField()
    joined_at = serializers.DateTimeField(source="created_at")


class InvitationSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    email = serializers.EmailField()
    full_name = serializers.CharField(allow_blank=True)
    role = serializers.CharField()
    audience = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class InvitationCreateSerializer(StrictInput):
    """Invites a member (the role is always member: roles are given in the browser)."""

    email = serializers.EmailField()
    full_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    audience = serializers.ChoiceField(choices=Audience.choices)


class AuditEventSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    occurred_at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    object_type = serializers.CharField(allow_blank=True)
    object_id = serializers.CharField(allow_blank=True)
    outcome = serializers.CharField()
    ip_address = serializers.IPAddressField(allow_null=True)
    request_id = serializers.CharField(allow_blank=True)
    detail = serializers.JSONField()


SCOPE_CHOICES = Scope.choices


# --- compliance (issue 10's figures, read only) ----------------------------------------------


class CampaignSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()
    pack = serializers.CharField(source="pack_slug")
    pack_title = serializers.CharField()
    audience = serializers.CharField()
    due_date = serializers.DateField()
    recurrence = serializers.CharField()
    election_date = serializers.DateField(allow_null=True)
    created_at = serializers.DateTimeField()


class CampaignAssignmentSerializer(serializers.Serializer):
    """One assigned person's status: their member id, never their name or results."""

    member = serializers.UUIDField()
    audience = serializers.CharField()
    status = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)


class CompletionSerializer(serializers.Serializer):
    campaign = serializers.UUIDField()
    name = serializers.CharField()
    pack = serializers.CharField()
    due_date = serializers.DateField()
    total = serializers.IntegerField()
    not_started = serializers.IntegerField()
    in_progress = serializers.IntegerField()
    submitted = serializers.IntegerField()
    overdue = serializers.IntegerField()
    percent_submitted = serializers.IntegerField()


class ComplianceSummarySerializer(serializers.Serializer):
    organisation = serializers.CharField()
    filters = serializers.DictField(child=serializers.CharField(allow_blank=True))
    completion = CompletionSerializer(many=True)
    results = serializers.DictField(
        help_text="`hidden: true` (and no figures) when fewer than `min_people` submitted "
        "people are in the filtered group; otherwise `people`, `baseline_not_met`, "
        "`baseline_not_met_percent`, `scenarios` (band distribution each) and `trend`."
    )


class OrganisationPlanSerializer(serializers.Serializer):
    hidden = serializers.BooleanField()
    min_people = serializers.IntegerField()
    people = serializers.IntegerField(required=False)
    packs = serializers.ListField(child=serializers.DictField())
