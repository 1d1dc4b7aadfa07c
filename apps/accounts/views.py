"""Organisation admin pages and the invitation acceptance page. Thin: rules are in services."""

from __future__ import annotations

import time
from functools import wraps

from allauth.account.utils import perform_login
from allauth.mfa.totp.views import ActivateTOTPView as _AllauthActivateTOTPView
from allauth.mfa.webauthn.views import AddWebAuthnView as _AllauthAddWebAuthnView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts import selectors, services, sign_in_guard
from apps.accounts.forms import AcceptInvitationForm, ChangeRoleForm, InviteForm

INVITATION_PROBLEMS = {
    # reason: (HTTP status, heading, explanation)
    "invalid": (
        404,
        "This invitation link does not work",
        "The link may be incomplete or may have been changed. Copy the whole link from "
        "your invitation email, or ask your organisation's admin to invite you again.",
    ),
    "expired": (
        410,
        "This invitation has expired",
        "Invitation links work for a limited time. Ask your organisation's admin to "
        "invite you again.",
    ),
    "accepted": (
        410,
        "This invitation has already been used",
        "Each invitation link works once. If you set up your account with it, sign in.",
    ),
    "revoked": (
        410,
        "This invitation has been withdrawn",
        "Your organisation's admin withdrew this invitation. Ask them if you still need "
        "an account.",
    ),
}


def org_admin_required(view):
    """Signed in and an admin of an organisation; 403 for everyone else signed in."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = selectors.membership_for_user(user=request.user)
        if membership is None or not membership.is_org_admin:
            raise PermissionDenied("Only organisation admins can see this page.")
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@org_admin_required
@require_http_methods(["GET"])
def member_list(request):
    return render(
        request,
        "accounts/member_list.html",
        {
            "organisation": request.membership.organisation,
            "memberships": selectors.membership_list_for_user(user=request.user),
            "invitations": selectors.invitation_list_pending_for_user(user=request.user),
        },
    )


@org_admin_required
@require_http_methods(["GET", "POST"])
def member_invite(request):
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.member_invite(
                actor=request.user,
                organisation=request.membership.organisation,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("accounts:member_list")
    return render(
        request,
        "accounts/member_invite.html",
        {
            "form": form,
            "organisation": request.membership.organisation,
            "link_days": max(1, round(settings.INVITATION_MAX_AGE / 86400)),
        },
        status=400 if form.errors else 200,
    )


@org_admin_required
@require_POST
def invitation_revoke(request, public_id):
    invitation = selectors.invitation_get_for_user(user=request.user, public_id=public_id)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Invitation to {invitation.email} withdrawn.")
    return redirect("accounts:member_list")


@org_admin_required
@require_http_methods(["GET"])
def member_detail(request, public_id):
    membership = selectors.membership_get_for_user(user=request.user, public_id=public_id)
    return render(
        request,
        "accounts/member_detail.html",
        {"member": membership, "role_form": ChangeRoleForm(initial={"role": membership.role})},
    )


@org_admin_required
@require_POST
def member_change_role(request, public_id):
    membership = selectors.membership_get_for_user(user=request.user, public_id=public_id)
    form = ChangeRoleForm(request.POST)
    if form.is_valid():
        try:
            services.membership_change_role(
                actor=request.user, membership=membership, role=form.cleaned_data["role"]
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"{membership.user.display_name}'s role was updated.")
            return redirect("accounts:member_detail", public_id=membership.public_id)
    return render(
        request,
        "accounts/member_detail.html",
        {"member": membership, "role_form": form},
        status=400,
    )


@org_admin_required
@require_POST
def member_deactivate(request, public_id):
    membership = selectors.membership_get_for_user(user=request.user, public_id=public_id)
    try:
        services.user_deactivate(actor=request.user, user=membership.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"{membership.user.display_name} can no longer sign in and was signed out."
        )
    return redirect("accounts:member_detail", public_id=membership.public_id)


@never_cache
@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Set a password for an invited account. GET shows the form and changes nothing."""
    if request.user.is_authenticated:
        return render(request, "accounts/invitation_signed_in.html", status=400)
    try:
        invitation = selectors.invitation_get_by_token(token=token)
    except selectors.InvitationUnusable as exc:
        return _invitation_problem(request, exc.reason)

    form = AcceptInvitationForm(
        request.POST or None,
        email=invitation.email,
        initial={"full_name": invitation.full_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
            )
        except selectors.InvitationUnusable as exc:
            return _invitation_problem(request, exc.reason)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            # Joining means being asked for the organisation's open campaigns too.
            from apps.compliance.services import assignments_create_for_member

            assignments_create_for_member(membership=user.membership)
            needs_mfa = selectors.user_requires_mfa(user=user)
            # allauth's login: the session key changes, login signals and audit fire.
            return perform_login(
                request,
                user,
                redirect_url=reverse("mfa_index") if needs_mfa else reverse("home"),
            )
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitation": invitation},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_pass(request, token):
    """The one-time link emailed when an account is under attack from many addresses.

    GET shows a button and changes nothing (mail scanners open links); POST uses the link
    once and lets this browser sign in to the account (a signed cookie) for the window.
    """
    if request.method == "GET":
        return render(request, "accounts/sign_in_pass.html", {"usable": True})
    try:
        _user, cookie = sign_in_guard.sign_in_pass_redeem(token=token)
    except sign_in_guard.PassLinkUnusable:
        return render(request, "accounts/sign_in_pass.html", {"usable": False}, status=410)
    messages.success(request, "You can now sign in to your account from this browser.")
    response = redirect("account_login")
    response.set_cookie(
        sign_in_guard.PASS_COOKIE,
        cookie,
        max_age=settings.SIGN_IN_FAILURE_WINDOW,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _invitation_problem(request, reason: str):
    status, heading, explanation = INVITATION_PROBLEMS[reason]
    return render(
        request,
        "accounts/invitation_unusable.html",
        {"heading": heading, "explanation": explanation, "reason": reason},
        status=status,
    )


# --- Recovery codes, shown once straight after setting up the authenticator app --------

NEW_CODES_KEY = "portcullis_new_recovery_codes_at"
NEW_CODES_WINDOW_SECONDS = 15 * 60


NEW_CODES_AFTER_KEY = "portcullis_new_recovery_codes_after"


def _show_new_codes_once(request, *, after: str) -> str:
    """Let the session show the codes just generated, once, for a short while; `after`
    names what was set up ("totp" or "webauthn"), so the page can say what they replace."""
    request.session[NEW_CODES_KEY] = time.time()
    request.session[NEW_CODES_AFTER_KEY] = after
    return reverse("accounts:new_recovery_codes")


class ActivateTOTPView(_AllauthActivateTOTPView):
    """allauth's TOTP set-up, then straight to the new recovery codes in our style.

    allauth sends the person to its recovery-codes page, which (now that they have MFA)
    asks for the password again; people navigated away and never saw their codes. The
    set-up itself was already guarded, so the session may show the new codes once,
    for a short while, until the person says they have stored them.
    """

    def get_success_url(self) -> str:
        if self.did_generate_recovery_codes:
            return _show_new_codes_once(self.request, after="totp")
        return super().get_success_url()


activate_totp = ActivateTOTPView.as_view()


class AddWebAuthnView(_AllauthAddWebAuthnView):
    """allauth's security-key set-up, ending as the authenticator app's does: when adding
    the key generated the first recovery codes (no app set up before), straight to them in
    our style rather than to allauth's page behind another password prompt. Adding the key
    was already guarded (allauth asks the person to confirm it is them first)."""

    def get_success_url(self) -> str:
        if self.did_generate_recovery_codes:
            return _show_new_codes_once(self.request, after="webauthn")
        return super().get_success_url()


add_webauthn = AddWebAuthnView.as_view()


def _forget_new_codes(request) -> None:
    request.session.pop(NEW_CODES_KEY, None)
    request.session.pop(NEW_CODES_AFTER_KEY, None)


def _new_codes_allowed(request) -> bool:
    started = request.session.get(NEW_CODES_KEY)
    return bool(started) and time.time() - started < NEW_CODES_WINDOW_SECONDS


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def new_recovery_codes(request):
    if not _new_codes_allowed(request):
        _forget_new_codes(request)
        return redirect("mfa_index")
    codes = selectors.unused_recovery_codes(user=request.user)
    if not codes:
        _forget_new_codes(request)
        return redirect("mfa_index")
    error = None
    if request.method == "POST":
        if request.POST.get("stored") == "yes":
            _forget_new_codes(request)
            messages.success(request, "Two-factor authentication is on.")
            return redirect("home")
        error = "Confirm that you have stored your recovery codes"
    return render(
        request,
        "accounts/new_recovery_codes.html",
        {
            "codes": codes,
            "error": error,
            "after_security_key": request.session.get(NEW_CODES_AFTER_KEY) == "webauthn",
        },
        status=400 if error else 200,
    )


@never_cache
@login_required
def new_recovery_codes_download(request):
    if not _new_codes_allowed(request):
        return redirect("mfa_index")
    codes = selectors.unused_recovery_codes(user=request.user)
    if not codes:
        return redirect("mfa_index")
    text = (
        "Portcullis recovery codes\n\n"
        "Each code works once. Use one to sign in if you lose your phone or security key.\n\n"
        + "\n".join(codes)
        + "\n"
    )
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="portcullis-recovery-codes.txt"'
    return response
