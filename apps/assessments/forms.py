"""Reading the questionnaire's POST bodies. Field names: `answer-<control>`, `note-<control>`.

Shape only: which answers and notes are allowed is decided by the services.
"""

from __future__ import annotations

from django import forms

from apps.assessments.services import NOTE_MAX_LENGTH


def answer_field(control_id: str) -> str:
    return f"answer-{control_id}"


def note_field(control_id: str) -> str:
    return f"note-{control_id}"


class SingleAnswerForm(forms.Form):
    """One answer, sent as the person gives it.

    The question's own inputs (`answer-<control>`, `note-<control>`) are read, so the same
    markup serves the htmx save and the whole-section form; plain `answer`/`note` are
    accepted too, for callers without the page.
    """

    control = forms.CharField(max_length=32)
    answer = forms.CharField(max_length=32)
    note = forms.CharField(max_length=NOTE_MAX_LENGTH, required=False, strip=True)

    def __init__(self, data, *args, **kwargs):
        control = (data.get("control") or "").strip()
        merged = {
            "control": control,
            "answer": data.get(answer_field(control)) or data.get("answer", ""),
            "note": data.get(note_field(control), data.get("note", "")),
        }
        super().__init__(merged, *args, **kwargs)
        self.fields["answer"].error_messages["required"] = "Choose an answer"
        self.fields["control"].error_messages["required"] = "Say which question you are answering"

    def control_key(self) -> str:
        return self.data.get("control", "")

    def first_error(self) -> str:
        for field in ("control", "answer", "note"):
            if field in self.errors:
                message = self.errors[field][0]
                if field == "note":
                    return f"Notes must be {NOTE_MAX_LENGTH} characters or fewer."
                if field == "answer" and self.data.get("note"):
                    return "Choose an answer to save your note"
                return message
        return "Check your answer"


class SectionAnswersForm:
    """All the answers of one section, from the form submitted without JavaScript."""

    def __init__(self, data, *, control_ids):
        self.data = data
        self.control_ids = tuple(control_ids)

    def entries(self) -> dict[str, tuple[str, str]]:
        entries = {}
        for control_id in self.control_ids:
            answer = (self.data.get(answer_field(control_id)) or "").strip()
            note = self.data.get(note_field(control_id)) or ""
            if answer or note.strip():
                entries[control_id] = (answer, note)
        return entries

    def shown_ids(self) -> frozenset[str] | None:
        """The questions of this section that were on the page when it was sent (the
        `shown` fields), or None when the form did not say. A question visible now but
        not among them was revealed by an answer on this visit (with JavaScript, htmx
        showed it as the person answered)."""
        shown = self.data.getlist("shown") if hasattr(self.data, "getlist") else []
        if not shown:
            return None
        return frozenset(shown) & frozenset(self.control_ids)
