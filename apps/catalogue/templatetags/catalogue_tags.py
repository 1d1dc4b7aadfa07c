"""Presentation helpers for the catalogue pages: readable audiences and conditions."""

from __future__ import annotations

from django import template

from apps.catalogue.schema import AUDIENCES

register = template.Library()


@register.filter
def audience_label(code: str) -> str:
    """`election_official` -> "Election officials"."""
    return AUDIENCES.get(code, code)


@register.filter
def condition_text(condition: dict | None) -> str:
    """A control's `applies_if`, in words: 'the answer to I-DEV-01 is yes or partly'."""
    if not condition:
        return ""
    if "control" in condition:
        keys = [f"“{key}”" for key in condition["in"]]
        choices = keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + " or " + keys[-1]
        return f"the answer to {condition['control']} is {choices}"
    if "not" in condition:
        return f"it is not the case that {condition_text(condition['not'])}"
    joiner = " and " if "all" in condition else " or "
    parts = condition.get("all") or condition.get("any") or []
    return "(" + joiner.join(condition_text(part) for part in parts) + ")"
