"""The audit viewer's filters (GET): bad values give a clear error and no results change."""

from __future__ import annotations

from django import forms

from apps.audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(required=False, label="Action")
    outcome = forms.ChoiceField(
        required=False,
        label="Outcome",
        choices=[("", "Any"), *AuditEvent.Outcome.choices],
    )
    actor = forms.CharField(required=False, max_length=254, label="Who (part of an email)")
    about = forms.CharField(required=False, max_length=254, label="About whom (part of an email)")
    since = forms.DateField(required=False, label="From (YYYY-MM-DD)")
    until = forms.DateField(required=False, label="To (YYYY-MM-DD)")

    def __init__(self, *args, actions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", "Any"), *[(a, a) for a in actions]]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date must be on or after the start date.")
        return cleaned
