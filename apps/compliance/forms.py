"""Forms for the compliance pages. They check shape only; rules live in services."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from apps.accounts.models import Audience, Membership
from apps.compliance.models import Campaign
from apps.compliance.services import DETAIL_REASONS, DISPUTE_REASONS, MAX_REASON_LENGTH


class CampaignForm(forms.Form):
    pack = forms.ChoiceField(
        label="Questionnaire",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the questionnaire people should complete."},
    )
    audience = forms.ChoiceField(
        label="Who is it for?",
        required=False,
        help_text="Everyone in one role (people who join later are added), or leave this "
        "empty and tick people by name below.",
    )
    people = forms.MultipleChoiceField(
        label="Or these people, by name",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_date = forms.DateField(
        label="Due date",
        help_text="For example, 31/3/2027 or 2027-03-31.",
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": "Enter the date people should finish by.",
            "invalid": "Enter a real date, like 31/3/2027.",
        },
    )
    name = forms.CharField(
        label="Name (optional)",
        required=False,
        max_length=200,
        help_text="Leave empty for the questionnaire and the due date.",
    )
    recurrence = forms.ChoiceField(
        label="Repeat",
        choices=Campaign.Recurrence.choices,
        initial=Campaign.Recurrence.NONE,
        widget=forms.RadioSelect,
    )
    election_date = forms.DateField(
        label="Election date (for “again before an election”)",
        required=False,
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": "Enter a real date, like 7/5/2027."},
    )
    remind_days_before = forms.CharField(
        label="Remind people this many days before the due date",
        initial="7,1",
        required=False,
        max_length=64,
        help_text="Numbers separated by commas, like 14,3. Leave empty for no early reminder.",
    )
    overdue_every_days = forms.IntegerField(
        label="Once overdue, remind every … days",
        initial=7,
        min_value=0,
        max_value=90,
        help_text="0 for no overdue reminders.",
        error_messages={"invalid": "Enter a whole number of days."},
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        from apps.catalogue.selectors import pack_list_latest

        self._packs = {str(p.public_id): p for p in pack_list_latest()}
        self.fields["pack"].choices = [(k, p.title) for k, p in self._packs.items()]
        self.fields["audience"].choices = [("", "Named people (below)"), *Audience.choices]
        members = Membership.objects.filter(
            organisation_id=membership.organisation_id, user__is_active=True
        ).select_related("user")
        self.fields["people"].choices = [
            (str(m.user.public_id), f"{m.user.display_name} ({m.get_audience_display()})")
            for m in members.order_by("user__full_name", "user__email")
        ]

    def launch_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "pack": self._packs[data["pack"]],
            "due_date": data["due_date"],
            "name": data.get("name") or "",
            "audience": data.get("audience") or "",
            "people": data.get("people") or [],
            "recurrence": data["recurrence"],
            "election_date": data.get("election_date"),
            "remind_days_before": data.get("remind_days_before") or "",
            "overdue_every_days": data["overdue_every_days"],
        }


class DetailReasonForm(forms.Form):
    reasons = DETAIL_REASONS

    what = forms.ChoiceField(
        label="What do you need to open?",
        choices=[("answers", "Their answers"), ("report", "Their report (PDF)")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what to open."},
    )
    reason = forms.ChoiceField(
        label="Why do you need to see it?",
        choices=[*((r, r) for r in DETAIL_REASONS), ("other", "Another reason (say below)")],
        widget=forms.RadioSelect,
        help_text="The person will see your name, the date and this reason.",
        error_messages={"required": "Say why you need to see this person's answers."},
    )
    reason_other = forms.CharField(
        label="Your reason, in your own words",
        required=False,
        max_length=MAX_REASON_LENGTH,
    )

    def clean(self):
        data = super().clean()
        from apps.compliance.services import clean_reason

        if data.get("reason"):
            try:
                data["reason_text"] = clean_reason(
                    choice=data["reason"], typed=data.get("reason_other", ""), reasons=self.reasons
                )
            except ValidationError:
                self.add_error(
                    "reason_other", "Write your reason (at least a few words), or choose one."
                )
        return data


class DisputesReasonForm(DetailReasonForm):
    """The reason for opening someone's disputed answers (there is only one thing to open)."""

    reasons = DISPUTE_REASONS
    what = None
    reason = forms.ChoiceField(
        label="Why do you need to see them?",
        choices=[*((r, r) for r in DISPUTE_REASONS), ("other", "Another reason (say below)")],
        widget=forms.RadioSelect,
        help_text="The person will see your name, the date and this reason.",
        error_messages={"required": "Say why you need to see this person's answers."},
    )
