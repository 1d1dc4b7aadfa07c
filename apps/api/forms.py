"""The browser form for issuing a key (shape only; the rules live in services)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from apps.api.models import Scope


class IssueKeyForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=80,
        help_text="What uses this key, so you recognise it later, such as “Intune sync”.",
        error_messages={"required": "Give the key a name."},
    )
    scopes = forms.MultipleChoiceField(
        label="What may this key do?",
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing this key may do."},
    )
    expires_on = forms.DateField(
        label="Expires on",
        help_text=(
            "At most one year from today; 90 days is suggested. Type it as 2027-03-31 "
            "if your browser shows no calendar."
        ),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": "Choose when the key expires.",
            "invalid": "Enter a date like 2027-03-31.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_on"].initial = (timezone.localdate() + timedelta(days=90)).isoformat()

    def expires_at(self):
        """The end of the chosen day, in the service's time zone."""
        day = self.cleaned_data["expires_on"]
        end = datetime.combine(day, time(23, 59, 59))
        return timezone.make_aware(end, timezone.get_current_timezone())
