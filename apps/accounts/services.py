"""Writes about people and organisations: invitations, roles, deactivation.

Every function checks policy, opens its own transaction and records audit events.
Services raise PermissionDenied when the actor may not act and ValidationError (with the
field it concerns) when the input is wrong; in both cases nothing has changed.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Audience, Invitation, Membership, User
from apps.accounts.selectors import (
    email_has_account,
    invitation_get_by_token,
    invitation_token_for,
    user_is_org_admin_of,
)
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

ACCOUNT_EXISTS_MESSAGE = (
    "An account already exists for this email address. A person can belong to one "
    "organisation only; ask them to sign in, or contact the Portcullis team."
)


def _require_org_admin(*, actor, organisation) -> None:
    # SECURITY: a person who administers the organisation; never an API key (roles,
    # deactivation and the like are out of a key's reach whatever its scopes).
    if getattr(actor, "audit_label", None) or not user_is_org_admin_of(
        user=actor, organisation=organisation
    ):
        raise PermissionDenied("Only an admin of this organisation can do that.")


def _require_invitation_manager(*, actor, organisation) -> None:
    # SECURITY: invitations may also be sent and revoked by an organisation API key with
    # admin:members (apps/api/principal.py), for its own organisation only. The key is asked
    # by name, so no check written for people can mistake it for an admin.
    administers = getattr(actor, "administers_members_of", None)
    if callable(administers):
        if administers(organisation):
            return
        raise PermissionDenied("This API key may not manage this organisation's members.")
    _require_org_admin(actor=actor, organisation=organisation)


def _normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter an email address like name@example.org."}) from exc
    return email


# --- Invitations ---------------------------------------------------------------------------


def invitation_url(invitation: Invitation) -> str:
    """The absolute link sent in the invitation email.

    # SECURITY: built on SITE_URL, never on the request's Host header, so a forged Host
    # cannot turn an invitation into a link to somebody else's site.
    """
    path = reverse("accounts:invitation_accept", args=[invitation_token_for(invitation)])
    return f"{settings.SITE_URL}{path}"


def member_invite(
    *,
    actor,
    organisation,
    email: str,
    full_name: str = "",
    role: str = Membership.Role.MEMBER,
    audience: str,
) -> Invitation:
    """Invite someone to `organisation` by email: a signed, single-use, expiring link.

    Refused (ValidationError) when the address is already a member of this organisation,
    when an unexpired invitation to this organisation is pending for it, or when the admin
    has sent INVITATIONS_PER_ADMIN_PER_HOUR already.
    The email goes out inside the transaction, so an invitation exists only if its email
    could be handed over.

    # SECURITY: an address that already has an account (in this organisation or another)
    # is answered exactly like any other: the admin sees "invitation sent", and the email
    # tells the person they already have an account. Refusing it told any org admin
    # whether a named MP uses the service.
    """
    _require_invitation_manager(actor=actor, organisation=organisation)
    if getattr(actor, "audit_label", None) and role != Membership.Role.MEMBER:
        # SECURITY: a key never hands out a role; only a person who is an admin does.
        raise PermissionDenied("An API key can invite members only.")
    email = _normalise_email(email)
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose a role."})
    if audience not in Audience.values:
        raise ValidationError({"audience": "Choose who this person is."})
    _invitation_throttle(actor=actor, organisation=organisation, email=email)
    # Saying so for the admin's own people tells them nothing their member list does not.
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member of your organisation."})
    has_account = email_has_account(email=email)

    now = timezone.now()
    with transaction.atomic():
        pending = Invitation.objects.filter(
            organisation=organisation,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        )
        if pending.exists():
            raise ValidationError(
                {
                    "email": "An invitation to this address is already pending. Revoke it "
                    "first if you need to send a new one."
                }
            )
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            full_name=(full_name or "").strip(),
            role=role,
            audience=audience,
            invited_by=actor if isinstance(actor, User) else None,
            created_at=now,
            # Whole seconds: the signed link carries the expiry as an integer timestamp.
            expires_at=(now + timedelta(seconds=settings.INVITATION_MAX_AGE)).replace(
                microsecond=0
            ),
        )
        audit_record(
            actor=actor,
            action="invitation.issued",
            organisation=organisation,
            obj=invitation,
            detail={"email": email, "role": role, "audience": audience},
        )
        context = {
            "invitation": invitation,
            "url": invitation_url(invitation),
            "inviter": actor,
            "sign_in_url": f"{settings.SITE_URL}{reverse('account_login')}",
        }
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
        # The person with an account gets no link to use: one account, one organisation.
        template = "invitation_has_account" if has_account else "invitation_message"
        send_mail(
            subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}",
            message=render_to_string(f"accounts/email/{template}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
    return invitation


def _invitation_throttle(*, actor, organisation, email: str) -> None:
    """At most INVITATIONS_PER_ADMIN_PER_HOUR invitations per admin, counted in the shared
    cache; a refusal is audited."""
    key = f"invitations-sent:{actor.pk}"
    cache.add(key, 0, timeout=3600)
    try:
        sent = cache.incr(key)
    except ValueError:  # the hour ended between add and incr
        cache.add(key, 1, timeout=3600)
        sent = 1
    if sent > settings.INVITATIONS_PER_ADMIN_PER_HOUR:
        audit_record(
            actor=actor,
            action="invitation.throttled",
            outcome=AuditEvent.Outcome.DENIED,
            organisation=organisation,
            detail={"email": email},
        )
        raise ValidationError(
            {
                "email": "You have sent a lot of invitations in the last hour. Wait an hour, "
                "then try again, or contact the Portcullis team if you need to invite more "
                "people at once."
            }
        )


def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    """Withdraw a pending invitation: its link stops working at once."""
    _require_invitation_manager(actor=actor, organisation=invitation.organisation)
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if invitation.accepted_at is not None:
            raise ValidationError("This invitation has already been accepted.")
        if invitation.revoked_at is not None:
            return invitation
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            action="invitation.revoked",
            organisation=invitation.organisation,
            obj=invitation,
            detail={"email": invitation.email},
        )
    return invitation


def invitation_accept(*, token: str, password: str, full_name: str = "") -> User:
    """Turn a valid invitation link into an account, in one transaction.

    Creates the user (password validators apply), a verified primary email address and
    the membership, marks the invitation used and records the event. Raises
    InvitationUnusable for a link that is invalid, expired, used or revoked, and
    ValidationError for a refused password or an address that already has an account;
    either way nothing is created.
    """
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        invitation = invitation_get_by_token(token=token, for_update=True)
        if email_has_account(email=invitation.email):
            raise ValidationError(ACCOUNT_EXISTS_MESSAGE)
        full_name = (full_name or invitation.full_name).strip()
        user = User(email=invitation.email.lower(), full_name=full_name)
        try:
            validate_password(password, user=user)
        except ValidationError as exc:
            raise ValidationError({"password1": exc.messages}) from exc
        user.set_password(password)
        user.save()
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        Membership.objects.create(
            user=user,
            organisation=invitation.organisation,
            role=invitation.role,
            audience=invitation.audience,
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at"])
        audit_record(
            actor=user,
            action="invitation.accepted",
            organisation=invitation.organisation,
            subject=user,
            obj=invitation,
            detail={"role": invitation.role, "audience": invitation.audience},
        )
    return user


# --- Roles ---------------------------------------------------------------------------------


def membership_change_role(*, actor, membership: Membership, role: str) -> Membership:
    """Make a member an org admin, or an org admin a member.

    The last org admin of an organisation cannot be demoted (nobody could then invite or
    manage anyone). A promoted member must set up MFA before their next page.
    """
    _require_org_admin(actor=actor, organisation=membership.organisation)
    if role not in Membership.Role.values:
        raise ValidationError({"role": "Choose a role."})
    with transaction.atomic():
        # Lock the organisation's admin rows so two demotions cannot both pass the check.
        admins = list(
            Membership.objects.select_for_update()
            .filter(organisation_id=membership.organisation_id, role=Membership.Role.ORG_ADMIN)
            .values_list("pk", flat=True)
        )
        membership = Membership.objects.select_for_update().get(pk=membership.pk)
        previous = membership.role
        if previous == role:
            return membership
        if previous == Membership.Role.ORG_ADMIN and admins == [membership.pk]:
            raise ValidationError(
                {"role": "This is the organisation's only admin: make someone else an admin first."}
            )
        membership.role = role
        membership.save(update_fields=["role"])
        audit_record(
            actor=actor,
            action="membership.role_changed",
            organisation=membership.organisation,
            subject=membership.user,
            obj=membership,
            detail={"from": previous, "to": role},
        )
    return membership


# --- Deactivation and sessions -------------------------------------------------------------


def sessions_end_for_user(*, user) -> int:
    """Delete every stored session signed in as `user`; returns how many were ended.

    Sessions live in the database (SESSION_ENGINE), so they can be found by their user.
    """
    user_id = str(user.pk)
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator(chunk_size=500):
        if session.get_decoded().get("_auth_user_id") == user_id:
            session.delete()
            ended += 1
    return ended


def user_deactivate(*, actor, user: User) -> int:
    """Stop `user` signing in and end every session they have; returns sessions ended.

    Allowed for platform staff and for an admin of the user's organisation, never on
    oneself (that is what signing out is for).
    """
    if actor.pk == user.pk:
        raise ValidationError("You cannot deactivate your own account.")
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    if not (
        getattr(actor, "is_staff", False)
        or (
            membership is not None
            and user_is_org_admin_of(user=actor, organisation=membership.organisation)
        )
    ):
        raise PermissionDenied("Only an admin of this person's organisation can do that.")
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        user.is_active = False
        ended = sessions_end_for_user(user=user)
        audit_record(
            actor=actor,
            action="user.deactivated",
            organisation=membership.organisation if membership else None,
            subject=user,
            obj=user,
            detail={"sessions_ended": ended},
        )
    return ended


# --- Second-factor secrets at rest ---------------------------------------------------------


def mfa_secrets_reencrypt() -> int:
    """Re-encrypt every stored TOTP key and recovery-code seed under the first key of
    MFA_ENCRYPTION_KEYS (after a key rotation). Returns how many authenticators changed.

    All or nothing: if any secret opens under none of the keys, nothing is written.
    """
    from allauth.mfa.models import Authenticator

    from apps.accounts.secrets_at_rest import reencrypt_authenticator_data

    changed = 0
    with transaction.atomic():
        authenticators = Authenticator.objects.select_for_update().exclude(
            type=Authenticator.Type.WEBAUTHN
        )
        for authenticator in authenticators:
            data = reencrypt_authenticator_data(authenticator.type, authenticator.data)
            if data != authenticator.data:
                authenticator.data = data
                authenticator.save(update_fields=["data"])
                changed += 1
        audit_record(
            actor=None,
            actor_label="system",
            action="mfa.secrets_reencrypted",
            detail={"count": changed},
        )
    return changed


def personal_text_reencrypt() -> int:
    """Re-seal every encrypted free-text value (answers' notes and any other
    EncryptedTextField) under the first key of MFA_ENCRYPTION_KEYS. Returns how many changed."""
    from apps.core.encryption import encrypted_fields_reseal

    changed = encrypted_fields_reseal()
    audit_record(
        actor=None,
        actor_label="system",
        action="encryption.text_reencrypted",
        detail={"count": changed},
    )
    return changed


def private_files_reencrypt() -> int:
    """Re-seal every report file in the private storage under the first key. Returns how
    many files changed."""
    from apps.core.storage import private_files_reseal

    changed = private_files_reseal()
    audit_record(
        actor=None,
        actor_label="system",
        action="encryption.files_reencrypted",
        detail={"count": changed},
    )
    return changed


# --- Platform staff, from the Django admin -------------------------------------------------


def _require_staff(actor) -> None:
    if not getattr(actor, "is_staff", False):
        raise PermissionDenied("Only platform staff can do that.")


def authenticator_remove_by_staff(*, actor, authenticator) -> None:
    """Platform staff remove someone's second factor (a lost phone, at their request).

    Audited like the person's own removal, with the staff member as actor. The person's
    sessions end, so whoever holds them signs in again and meets the MFA policy.
    """
    _require_staff(actor)
    user = authenticator.user
    with transaction.atomic():
        kind = authenticator.type
        public = f"{kind}:{authenticator.pk}"
        authenticator.delete()
        ended = sessions_end_for_user(user=user)
        audit_record(
            actor=actor,
            action="mfa.authenticator_removed",
            organisation=_organisation_of(user),
            subject=user,
            detail={"type": kind, "authenticator": public, "by": "staff", "sessions_ended": ended},
        )


PRIVILEGE_FIELDS = ("is_staff", "is_superuser", "is_active")


def user_change_privileges(*, actor, user: User, **changes) -> User:
    """Platform staff change `is_staff`, `is_superuser` or `is_active` for someone.

    Every change is one audit event naming the old and new values; deactivation also ends
    the person's sessions (as `user_deactivate` does). Staff cannot remove their own staff
    or superuser flag, nor deactivate themselves (another staff member must).
    """
    _require_staff(actor)
    unknown = set(changes) - set(PRIVILEGE_FIELDS)
    if unknown:
        raise ValidationError(f"Not a privilege: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        current = User.objects.select_for_update().get(pk=user.pk)
        changed = {
            name: {"from": getattr(current, name), "to": bool(value)}
            for name, value in changes.items()
            if getattr(current, name) != bool(value)
        }
        if not changed:
            return current
        if actor.pk == current.pk and any(not v["to"] for v in changed.values()):
            raise ValidationError("Ask another member of staff to remove your own privileges.")
        for name, values in changed.items():
            setattr(current, name, values["to"])
        current.save(update_fields=list(changed))
        ended = 0
        if changed.get("is_active", {}).get("to") is False:
            ended = sessions_end_for_user(user=current)
        audit_record(
            actor=actor,
            action="user.privileges_changed",
            organisation=_organisation_of(current),
            subject=current,
            obj=current,
            detail={"changes": changed, "sessions_ended": ended},
        )
    return current


def user_password_set_by_staff(*, actor, user: User) -> int:
    """Record that platform staff set `user`'s password in the admin, and end the person's
    sessions (the admin form has saved it). Returns how many sessions ended."""
    _require_staff(actor)
    ended = sessions_end_for_user(user=user) if actor.pk != user.pk else 0
    audit_record(
        actor=actor,
        action="user.password_set_by_staff",
        organisation=_organisation_of(user),
        subject=user,
        obj=user,
        detail={"sessions_ended": ended},
    )
    return ended


def membership_remove_by_staff(*, actor, membership: Membership) -> None:
    """Platform staff take a person out of an organisation (audited)."""
    _require_staff(actor)
    with transaction.atomic():
        user, organisation, role = membership.user, membership.organisation, membership.role
        public_id = str(membership.public_id)
        membership.delete()
        audit_record(
            actor=actor,
            action="membership.removed",
            organisation=organisation,
            subject=user,
            detail={"membership": public_id, "role": role, "by": "staff"},
        )


def _organisation_of(user):
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    return membership.organisation if membership else None
