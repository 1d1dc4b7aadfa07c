"""Forms for the organisation admin pages and for accepting an invitation.

They check shape only; the rules live in apps.accounts.services.
"""

from __future__ import annotations

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm
from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from apps.accounts.models import Audience, Membership, User
from apps.accounts.sign_in_guard import SIGN_IN_GUARDED_MESSAGE, sign_in_guard_refuses


class InviteForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter the person's full name."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label="Email address",
        help_text="The invitation link is sent to this address. It works once.",
        error_messages={
            "required": "Enter an email address.",
            "invalid": "Enter an email address like name@example.org.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    audience = forms.ChoiceField(
        label="Who is this person?",
        choices=Audience.choices,
        widget=forms.RadioSelect,
        help_text="This decides which questions they are asked.",
        error_messages={"required": "Choose who this person is."},
    )
    role = forms.ChoiceField(
        label="Role",
        choices=Membership.Role.choices,
        initial=Membership.Role.MEMBER,
        widget=forms.RadioSelect,
        help_text="Organisation admins can invite people and see the organisation's progress. "
        "They must use two-factor authentication.",
        error_messages={"required": "Choose a role."},
    )


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(
        label="Role",
        choices=Membership.Role.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a role."},
    )


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={"required": "Enter your full name."},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label="Create a password",
        strip=False,
        help_text="Use at least 12 characters: three or four random words work well. "
        "Avoid common passwords, numbers only, and anything like your name or email.",
        error_messages={"required": "Enter a password."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Confirm your password",
        strip=False,
        error_messages={"required": "Enter the password again."},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, email: str, **kwargs):
        self.email = email
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The passwords do not match.")
        elif password1:
            candidate = User(email=self.email, full_name=cleaned.get("full_name", ""))
            try:
                validate_password(password1, user=candidate)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned


class GuardedAuthenticateForm(AuthenticateForm):
    """allauth's second-factor step, behind the same many-address guard as the password.

    # SECURITY: someone who has the password could otherwise guess codes from many
    # addresses; past the guard threshold, only a browser holding the emailed pass goes on.
    """

    def clean_code(self) -> str:
        if sign_in_guard_refuses(context.request, login=self.user.email):
            raise ValidationError(SIGN_IN_GUARDED_MESSAGE)
        return super().clean_code()
