"""Audit events for sign-in, sign-out and MFA changes; session bookkeeping at login.

Receivers only record what happened and keep the session consistent; no business rules.
"""

from __future__ import annotations

from allauth.account.signals import user_logged_in as allauth_user_logged_in
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import (
    authentication_failed as mfa_authentication_failed,
)
from allauth.mfa.signals import (
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
)
from axes.signals import user_locked_out
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from apps.accounts.lockout import axes_username
from apps.accounts.middleware import forget_mfa_check, session_mark_signed_in
from apps.accounts.selectors import organisation_for_user
from apps.accounts.sign_in_guard import sign_in_failure_record, sign_in_failures_since_last
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def _authenticators_changed(sender, request=None, **kwargs):
    forget_mfa_check(request)


@receiver(user_logged_in, dispatch_uid="portcullis_login_session")
def _logged_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_mark_signed_in(request)


# allauth's signal, not Django's: it fires for every real sign-in (the login form, /admin/,
# an accepted invitation) once all steps are done, and not for test helpers' force_login.
@receiver(allauth_user_logged_in, dispatch_uid="portcullis_login_audit")
def _signed_in(sender, request, user, **kwargs):
    if request is not None:
        _tell_about_failed_attempts(request, user)
    audit_record(
        actor=user,
        action="login.succeeded",
        organisation=organisation_for_user(user=user),
        subject=user,
    )


def _tell_about_failed_attempts(request, user) -> None:
    """A notice on the first page after signing in: what was tried on the account since."""
    failures, second_factor = sign_in_failures_since_last(user=user)
    if not failures:
        return
    text = (
        f"Since you last signed in, there {'was' if failures == 1 else 'were'} {failures} "
        f"failed attempt{'' if failures == 1 else 's'} to sign in to your account."
    )
    if second_factor:
        text += (
            f" {second_factor} of them got your password right but not your code: "
            "change your password now (Security, then Change your password)."
        )
    else:
        text += " If that was not you, nobody got in; you do not need to do anything."
    messages.warning(request, text)


@receiver(user_login_failed, dispatch_uid="portcullis_login_failed_audit")
def _login_failed(sender, credentials, request=None, **kwargs):
    # The address typed is kept (never the password: Django has already masked it), so
    # an admin can see who was targeted. Known and unknown addresses are recorded alike.
    login = axes_username(request, credentials)
    audit_record(
        actor=None,
        action="login.failed",
        outcome=AuditEvent.Outcome.DENIED,
        detail={"login": login[:254]},
    )
    sign_in_failure_record(login=login)


@receiver(user_locked_out, dispatch_uid="portcullis_locked_out_audit")
def _locked_out(sender, request=None, username=None, ip_address=None, **kwargs):
    audit_record(
        actor=None,
        action="login.locked_out",
        outcome=AuditEvent.Outcome.DENIED,
        detail={"login": (username or "")[:254]},
        ip_address=ip_address,
    )


@receiver(user_logged_out, dispatch_uid="portcullis_logout_audit")
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    reason = getattr(request, "portcullis_logout_reason", "") if request is not None else ""
    audit_record(
        actor=user,
        action="session.expired" if reason else "logout",
        organisation=organisation_for_user(user=user),
        subject=user,
        detail={"reason": reason} if reason else None,
    )


def _authenticator_event(action, request, user, authenticator, **detail):
    audit_record(
        actor=user,
        action=action,
        organisation=organisation_for_user(user=user),
        subject=user,
        obj=authenticator,
        detail={"type": authenticator.type, **detail},
    )


@receiver(authenticator_added, dispatch_uid="portcullis_mfa_added_audit")
def _mfa_added(sender, request=None, user=None, authenticator=None, **kwargs):
    _authenticator_event("mfa.authenticator_added", request, user, authenticator)


@receiver(authenticator_removed, dispatch_uid="portcullis_mfa_removed_audit")
def _mfa_removed(sender, request=None, user=None, authenticator=None, **kwargs):
    _authenticator_event("mfa.authenticator_removed", request, user, authenticator)


@receiver(authenticator_reset, dispatch_uid="portcullis_mfa_reset_audit")
def _mfa_reset(sender, request=None, user=None, authenticator=None, **kwargs):
    _authenticator_event("mfa.recovery_codes_regenerated", request, user, authenticator)


@receiver(mfa_authentication_failed, dispatch_uid="portcullis_mfa_failed_audit")
def _mfa_failed(sender, request=None, user=None, authenticator=None, **kwargs):
    audit_record(
        actor=None,
        action="mfa.failed",
        outcome=AuditEvent.Outcome.DENIED,
        organisation=organisation_for_user(user=user) if user else None,
        subject=user,
        obj=authenticator if isinstance(authenticator, Authenticator) else None,
        detail={"reauthentication": bool(kwargs.get("reauthentication"))},
    )
    if user is not None and not kwargs.get("reauthentication"):
        sign_in_failure_record(login=user.email, second_factor=True)
