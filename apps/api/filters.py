"""List filters (django-filter). Every filter works inside the requester's scope."""

from __future__ import annotations

import datetime

import django_filters
from django.core.exceptions import ValidationError

from apps.accounts.models import Audience, Invitation, Membership
from apps.assessments.models import Assessment
from apps.audit.models import AuditEvent
from apps.reports.models import RemediationReport


class UtcDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time, read in UTC before it reaches the database.

    PostgreSQL refuses offsets beyond +/-15:59 ("-19:00" answered 500, found by the fuzzer);
    an instant with any offset Python accepts is the same instant in UTC, and one that
    falls outside the calendar in UTC is a clear 400.
    """

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(datetime.UTC)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class AssessmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Assessment.Status.choices)
    pack = django_filters.CharFilter(field_name="pack__slug", help_text="A pack's id (slug).")
    member = django_filters.UUIDFilter(
        field_name="user__membership__public_id", help_text="A member's id."
    )
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Assessment
        fields = ["status", "pack", "member", "updated_after"]


class ReportFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=RemediationReport.Status.choices)
    assessment = django_filters.UUIDFilter(field_name="assessment__public_id")

    class Meta:
        model = RemediationReport
        fields = ["status", "assessment"]


class MemberFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Membership.Role.choices)
    audience = django_filters.ChoiceFilter(choices=Audience.choices)

    class Meta:
        model = Membership
        fields = ["role", "audience"]


class InvitationFilter(django_filters.FilterSet):
    pending = django_filters.BooleanFilter(method="filter_pending", help_text="Only pending ones.")

    class Meta:
        model = Invitation
        fields = ["pending"]

    def filter_pending(self, queryset, name, value):
        pending = {"accepted_at__isnull": True, "revoked_at__isnull": True}
        return queryset.filter(**pending) if value else queryset.exclude(**pending)


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter()
    outcome = django_filters.ChoiceFilter(choices=AuditEvent.Outcome.choices)
    occurred_after = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = UtcDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "outcome", "occurred_after", "occurred_before"]
