"""Render Django form fields with GOV.UK Frontend classes, without inline styles."""

from __future__ import annotations

from django import forms, template

register = template.Library()

_INPUT_CLASSES = {
    "textarea": "govuk-textarea",
    "select": "govuk-select",
    "checkbox": "govuk-checkboxes__input",
    "radio": "govuk-radios__input",
    "file": "govuk-file-upload",
}


@register.filter
def widget_type(bound_field) -> str:
    """'text', 'password', 'email', 'textarea', 'select', 'checkbox', 'radios', 'hidden'."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect):
        return "radios"
    if isinstance(widget, forms.CheckboxSelectMultiple):
        return "checkboxes"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    if isinstance(widget, forms.Select):
        return "select"
    if widget.is_hidden:
        return "hidden"
    return getattr(widget, "input_type", "text") or "text"


@register.filter
def govuk_widget(bound_field):
    """The field's widget with GOV.UK classes and the hint/error ids in aria-describedby."""
    kind = widget_type(bound_field)
    css = _INPUT_CLASSES.get(kind, "govuk-input")
    if bound_field.errors and kind not in ("checkbox", "radio"):
        css += f" {css}--error"
    attrs = {"class": css}
    if bound_field.label:
        # A visible label says what to enter; a placeholder as well only repeats it,
        # disappears as you type and often fails contrast (allauth's forms set them).
        attrs["placeholder"] = False
    described_by = []
    if bound_field.help_text:
        described_by.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        described_by.append(f"{bound_field.auto_id}-error")
    if described_by:
        attrs["aria-describedby"] = " ".join(described_by)
    existing = bound_field.field.widget.attrs.get("class")
    if existing:
        attrs["class"] = f"{attrs['class']} {existing}"
    return bound_field.as_widget(attrs=attrs)


@register.filter
def has_tag(tags, name) -> bool:
    """For allauth elements: `attrs.tags|has_tag:"danger"`."""
    return bool(tags) and name in tags
