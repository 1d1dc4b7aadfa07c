"""Reads about people and organisations, always scoped to the requester."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.models import Membership, Organisation, User


def membership_for_user(*, user) -> Membership | None:
    """The requester's membership (role, audience, organisation), or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return Membership.objects.select_related("organisation").get(user=user)
    except Membership.DoesNotExist:
        return None


def organisation_for_user(*, user) -> Organisation | None:
    membership = membership_for_user(user=user)
    return membership.organisation if membership else None


def user_is_org_admin(*, user) -> bool:
    membership = membership_for_user(user=user)
    return bool(membership and membership.is_org_admin)


def user_has_mfa(*, user) -> bool:
    from allauth.mfa.models import Authenticator

    return (
        Authenticator.objects.filter(user=user)
        .exclude(type=Authenticator.Type.RECOVERY_CODES)
        .exists()
    )


def user_requires_mfa(*, user) -> bool:
    """Org admins and platform staff always need MFA; members when their organisation says so."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    membership = membership_for_user(user=user)
    if membership is None:
        return True  # SECURITY: an unaffiliated account gets the strictest policy
    return membership.is_org_admin or membership.organisation.mfa_required_for_members


def membership_list_for_user(*, user) -> QuerySet[Membership]:
    """Members of the requester's own organisation; empty for anyone outside one."""
    membership = membership_for_user(user=user)
    if membership is None:
        return Membership.objects.none()
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id)
        .select_related("user", "organisation")
        .order_by("user__email")
    )


def membership_get_for_user(*, user, public_id) -> Membership:
    """One membership of the requester's organisation; 404 for any other organisation's."""
    try:
        return membership_list_for_user(user=user).get(public_id=public_id)
    except (Membership.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such member.") from exc


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()
