"""What an API request may see: every query of organisation data for /api/v1/ is scoped
here, once, from the requester (a signed-in person or an organisation API key).

- A person (session) sees what the pages show them: their own assessments, answers,
  scores and reports; an org admin also their organisation's members, invitations,
  reports and audit events. These delegate to the apps' own `*_for_user` selectors.
- A key sees its organisation's current members and their assessments, answers, scores
  and reports (as its scopes allow, checked per route in `permissions`). People who have
  left the organisation are out of its sight.
Anything outside the requester's reach is a 404, never a hint.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from apps.accounts import selectors as accounts_selectors
from apps.accounts.models import Invitation, Membership
from apps.api.models import ApiKey
from apps.api.principal import ApiKeyActor
from apps.assessments.models import Assessment
from apps.assessments.selectors import assessment_list_for_user
from apps.audit.models import AuditEvent
from apps.reports.models import RemediationReport
from apps.reports.selectors import report_list_for_user

LOOKUP_ERRORS = (ValidationError, ValueError, TypeError)


@dataclass(frozen=True)
class Requester:
    """Who is asking, resolved once per request."""

    user: object | None  # the signed-in person, for a session request
    key: ApiKey | None
    membership: Membership | None  # the person's membership (None for a key)

    @property
    def is_key(self) -> bool:
        return self.key is not None

    @property
    def organisation_id(self) -> int | None:
        if self.key is not None:
            return self.key.organisation_id
        return self.membership.organisation_id if self.membership else None

    @property
    def organisation(self):
        if self.key is not None:
            return self.key.organisation
        return self.membership.organisation if self.membership else None

    @property
    def is_org_admin(self) -> bool:
        """A person who administers their organisation (never a key)."""
        return self.membership is not None and self.membership.is_org_admin


def requester_for(request) -> Requester:
    cached = getattr(request, "_portcullis_requester", None)
    if cached is not None:
        return cached
    user = request.user
    if isinstance(user, ApiKeyActor):
        requester = Requester(user=None, key=user.key, membership=None)
    else:
        requester = Requester(
            user=user, key=None, membership=accounts_selectors.membership_for_user(user=user)
        )
    request._portcullis_requester = requester
    return requester


def _current_members(organisation_id) -> QuerySet[Membership]:
    return Membership.objects.filter(organisation_id=organisation_id)


# --- assessments --------------------------------------------------------------------------


def assessment_list_for_requester(requester: Requester) -> QuerySet[Assessment]:
    """A person's own assessments; for a key, those of its organisation's current members."""
    if requester.is_key:
        return (
            Assessment.objects.filter(
                organisation_id=requester.key.organisation_id,
                user__membership__organisation_id=requester.key.organisation_id,
            )
            .select_related("pack", "user", "user__membership")
            .defer("pack__content")
            .order_by("-created_at", "-pk")
        )
    return assessment_list_for_user(user=requester.user).select_related("user", "user__membership")


def assessment_get_for_requester(requester: Requester, public_id) -> Assessment:
    try:
        return assessment_list_for_requester(requester).get(public_id=public_id)
    except (Assessment.DoesNotExist, *LOOKUP_ERRORS) as exc:
        raise Http404("No such assessment.") from exc


# --- members and invitations ---------------------------------------------------------------


def membership_list_for_requester(requester: Requester) -> QuerySet[Membership]:
    """The organisation's members: for a key, or for an org admin (empty for others)."""
    if requester.is_key:
        return (
            _current_members(requester.key.organisation_id)
            .select_related("user", "organisation")
            .annotate(
                has_mfa=Exists(
                    accounts_selectors._second_factors().filter(user_id=OuterRef("user_id"))
                )
            )
            .order_by("user__email")
        )
    if requester.is_org_admin:
        return accounts_selectors.membership_list_for_user(user=requester.user)
    return Membership.objects.none()


def membership_get_for_requester(requester: Requester, public_id) -> Membership:
    try:
        return membership_list_for_requester(requester).get(public_id=public_id)
    except (Membership.DoesNotExist, *LOOKUP_ERRORS) as exc:
        raise Http404("No such member.") from exc


def invitation_list_for_requester(requester: Requester) -> QuerySet[Invitation]:
    """The organisation's invitations, every state (pending, accepted, revoked)."""
    organisation_id = requester.organisation_id
    if organisation_id is None or not (requester.is_key or requester.is_org_admin):
        return Invitation.objects.none()
    return Invitation.objects.filter(organisation_id=organisation_id).order_by("-created_at", "-pk")


def invitation_get_for_requester(requester: Requester, public_id) -> Invitation:
    try:
        return (
            invitation_list_for_requester(requester)
            .select_related("organisation")
            .get(public_id=public_id)
        )
    except (Invitation.DoesNotExist, *LOOKUP_ERRORS) as exc:
        raise Http404("No such invitation.") from exc


# --- reports --------------------------------------------------------------------------------


def report_list_for_requester(requester: Requester) -> QuerySet[RemediationReport]:
    """A person's reports (an org admin's: also their organisation's, as on the pages); a
    key's: its organisation's current members' reports."""
    if requester.is_key:
        return RemediationReport.objects.filter(
            assessment__in=assessment_list_for_requester(requester)
        ).select_related("assessment__user", "assessment__organisation", "assessment__pack")
    return report_list_for_user(user=requester.user)


def report_get_for_requester(requester: Requester, public_id) -> RemediationReport:
    try:
        return report_list_for_requester(requester).get(public_id=public_id)
    except (RemediationReport.DoesNotExist, *LOOKUP_ERRORS) as exc:
        raise Http404("No such report.") from exc


# --- audit ----------------------------------------------------------------------------------


def audit_event_list_for_requester(requester: Requester) -> QuerySet[AuditEvent]:
    """The organisation's audit events, for its org admins (people, not keys)."""
    if requester.is_key or not requester.is_org_admin:
        return AuditEvent.objects.none()
    return AuditEvent.objects.filter(organisation_id=requester.organisation_id).order_by(
        "-occurred_at", "-pk"
    )
