"""Reads about people and organisations, always scoped to the requester."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.accounts.models import Invitation, Membership, Organisation, User

INVITATION_TOKEN_SALT = "portcullis.accounts.invitation"


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


def user_is_org_admin_of(*, user, organisation) -> bool:
    """True if `user` administers `organisation` (platform staff administer every one)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(
        user=user, organisation=organisation, role=Membership.Role.ORG_ADMIN
    ).exists()


def _second_factors():
    from allauth.mfa.models import Authenticator

    # Recovery codes are a fallback for a second factor, not one on their own.
    return Authenticator.objects.exclude(type=Authenticator.Type.RECOVERY_CODES)


def user_has_mfa(*, user) -> bool:
    return _second_factors().filter(user=user).exists()


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
    """Members of the requester's own organisation; empty for anyone outside one.

    Each row carries `has_mfa` (a TOTP app or a security key is set up).
    """
    membership = membership_for_user(user=user)
    if membership is None:
        return Membership.objects.none()
    return (
        Membership.objects.filter(organisation_id=membership.organisation_id)
        .select_related("user", "organisation")
        .annotate(has_mfa=Exists(_second_factors().filter(user_id=OuterRef("user_id"))))
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


def email_has_account(*, email: str) -> bool:
    """True if any account uses this address, as its login or as a secondary address."""
    from allauth.account.models import EmailAddress

    email = email.strip()
    return (
        User.objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


# --- Invitations ---------------------------------------------------------------------------


def invitation_list_pending_for_user(*, user) -> QuerySet[Invitation]:
    """Invitations of the requester's organisation not yet accepted or revoked."""
    membership = membership_for_user(user=user)
    if membership is None:
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            organisation_id=membership.organisation_id,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )


def invitation_get_for_user(*, user, public_id) -> Invitation:
    """One invitation of the requester's organisation; 404 for any other organisation's."""
    membership = membership_for_user(user=user)
    if membership is None:
        raise Http404("No such invitation.")
    try:
        return Invitation.objects.select_related("organisation").get(
            organisation_id=membership.organisation_id, public_id=public_id
        )
    except (Invitation.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such invitation.") from exc


class InvitationUnusable(Exception):
    """An invitation link that cannot be used, and why.

    `reason` is one of: "invalid" (tampered, unknown or mangled link), "expired",
    "accepted", "revoked".
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class InvitationTokenPayload:
    public_id: str
    expires_at: int


def invitation_token_for(invitation: Invitation) -> str:
    """The signed value carried by an invitation link: the public id and the expiry.

    Deterministic for one invitation (no need to store it); only a holder of SECRET_KEY can
    make one, and changing either part breaks the signature.
    """
    return signing.Signer(salt=INVITATION_TOKEN_SALT).sign_object(
        {"i": str(invitation.public_id), "e": int(invitation.expires_at.timestamp())}
    )


def _token_payload(token: str) -> InvitationTokenPayload:
    try:
        data = signing.Signer(salt=INVITATION_TOKEN_SALT).unsign_object(token)
        return InvitationTokenPayload(public_id=str(data["i"]), expires_at=int(data["e"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise InvitationUnusable("invalid") from exc


def invitation_check_usable(invitation: Invitation, *, now: datetime | None = None) -> None:
    """Raise InvitationUnusable unless the invitation can still be accepted."""
    now = now or timezone.now()
    if invitation.revoked_at is not None:
        raise InvitationUnusable("revoked")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("accepted")
    if invitation.expires_at <= now:
        raise InvitationUnusable("expired")


def invitation_get_by_token(*, token: str, for_update: bool = False) -> Invitation:
    """The invitation a link stands for, if it can still be used; InvitationUnusable if not."""
    payload = _token_payload(token)
    queryset = Invitation.objects.select_related("organisation")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    try:
        invitation = queryset.get(public_id=payload.public_id)
    except (Invitation.DoesNotExist, ValueError, TypeError) as exc:
        raise InvitationUnusable("invalid") from exc
    # SECURITY: the signed expiry must be the stored one, so a link cannot outlive a change.
    if payload.expires_at != int(invitation.expires_at.timestamp()):
        raise InvitationUnusable("invalid")
    invitation_check_usable(invitation)
    return invitation


def unused_recovery_codes(*, user) -> list[str]:
    """The person's unused recovery codes (empty if they have none)."""
    from allauth.mfa.models import Authenticator

    authenticator = Authenticator.objects.filter(
        user=user, type=Authenticator.Type.RECOVERY_CODES
    ).first()
    if authenticator is None:
        return []
    return list(authenticator.wrap().get_unused_codes())
