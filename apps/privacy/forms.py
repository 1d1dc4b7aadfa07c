from django import forms


class CloseAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        help_text="Type your password to confirm it is you.",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my answers, notes and reports will be deleted for good",
    )
