"""allauth adapters: invitation-only sign-up, session fixation, MFA policy."""

from __future__ import annotations

import time

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings

from apps.accounts.lockout import axes_username
from apps.accounts.middleware import SESSION_STARTED_KEY
from apps.accounts.secrets_at_rest import decrypt_secret, encrypt_secret
from apps.accounts.selectors import user_has_mfa, user_requires_mfa
from apps.accounts.sign_in_guard import SIGN_IN_GUARDED_MESSAGE, sign_in_guard_refuses
from apps.core.client_address import client_ip


class AccountAdapter(DefaultAccountAdapter):
    """Accounts are created by invitation, never by open sign-up."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "sign_in_guarded": SIGN_IN_GUARDED_MESSAGE,
    }

    def pre_authenticate(self, request, **credentials):
        super().pre_authenticate(request, **credentials)
        # SECURITY: past the many-address threshold, the password alone is not enough:
        # the browser needs the pass emailed to the account (apps/accounts/sign_in_guard).
        if sign_in_guard_refuses(request, login=axes_username(request, credentials)):
            raise self.validation_error("sign_in_guarded")

    def is_open_for_signup(self, request):
        # SECURITY: the invitation flow creates users itself; allauth's signup stays closed.
        return False

    def get_client_ip(self, request) -> str:
        # SECURITY: allauth's per-address rate limits key on the same client address as
        # audit rows and axes (TRUSTED_PROXY_COUNT), never on a client-sent header.
        return client_ip(request) or super().get_client_ip(request)

    def get_login_redirect_url(self, request):
        # An org admin's landing page is their organisation's dashboard.
        from apps.accounts.selectors import user_is_org_admin

        if user_is_org_admin(user=request.user):
            from django.urls import reverse

            return reverse("compliance:dashboard")
        return super().get_login_redirect_url(request)

    def pre_login(self, request, user, **kwargs):
        response = super().pre_login(request, user, **kwargs)
        if response is None:
            # SECURITY: the password step is done. A new session key now, so a key planted
            # before sign-in cannot be used to finish the login (the MFA step) or to ride
            # it; Django's login() changes the key again once every step is done.
            request.session.cycle_key()
        return response

    def add_message(self, request, level, message_template=None, *args, **kwargs) -> None:
        # Setting up the first second factor ends on our page of the new codes, which says
        # what allauth's "new recovery codes have been made" banner says; for a newcomer
        # its "any old ones no longer work" only raises the question of which old ones.
        match = getattr(request, "resolver_match", None)
        if (
            message_template == "mfa/messages/recovery_codes_generated.txt"
            and match is not None
            and match.namespace == "accounts"
            and match.url_name in ("activate_totp", "add_webauthn")
        ):
            return
        super().add_message(request, level, message_template, *args, **kwargs)

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        required = super().is_reauthentication_required(app=app, **kwargs)
        if required and app == "allauth.mfa":
            request = getattr(context, "request", None)
            user = getattr(request, "user", None)
            # Setting up the first second factor straight after signing in with the password
            # (or accepting an invitation) needs no second password prompt: the person has
            # just authenticated. Every later change (another key, removal) still does.
            if (
                user is not None
                and user.is_authenticated
                and not user_has_mfa(user=user)
                and time.time() - request.session.get(SESSION_STARTED_KEY, 0)
                < settings.ACCOUNT_REAUTHENTICATION_TIMEOUT
            ):
                return False
        return required


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "Your organisation requires two-factor authentication. Add a security key "
            "before you remove the authenticator app."
        ),
    }

    # SECURITY: TOTP keys and recovery-code seeds never reach the database in the clear.
    def encrypt(self, text: str) -> str:
        return encrypt_secret(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_secret(encrypted_text)

    def generate_authenticator_name(self, user, type: Authenticator.Type) -> str:
        """The name offered for a new security key: plain words, not allauth's "Master
        key" / "Backup key" / "Key nr. 3"."""
        count = Authenticator.objects.filter(user_id=user.pk, type=type).count()
        return "Security key" if count == 0 else f"Security key {count + 1}"

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        """Someone who must use MFA cannot remove their last second factor."""
        user = authenticator.user
        if not user_requires_mfa(user=user):
            return True
        others = (
            Authenticator.objects.filter(user=user)
            .exclude(pk=authenticator.pk)
            .exclude(type=Authenticator.Type.RECOVERY_CODES)
        )
        return others.exists()
