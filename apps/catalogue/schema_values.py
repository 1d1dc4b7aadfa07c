"""Checks of single values in a pack (strings, ids, numbers, lists), shared by the
structure checks in `schema_checks`. Each returns the normalised value, or INVALID after
recording why."""

from __future__ import annotations

import datetime
import re
from typing import Any

from apps.catalogue.schema import ATTACK_ID_HELP, ATTACK_ID_RE, MAX_STRUCTURE_NODES, SLUG_RE

INVALID = object()  # a value that failed validation (its error is already recorded)
MISSING = object()  # a required field that is absent (reported once, by `fields`)


class ValueChecks:
    """Collects `(path, reason)` errors while checking values."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []
        self.nodes_left = MAX_STRUCTURE_NODES

    def error(self, path: str, reason: str) -> object:
        self.errors.append((path, reason))
        return INVALID

    def within_budget(self, path: str) -> bool:
        """Count one structure (control, source, node, condition); False once too many."""
        self.nodes_left -= 1
        if self.nodes_left == -1:
            self.error(
                path,
                f"the pack has more than {MAX_STRUCTURE_NODES} controls, sources, tree nodes and conditions",
            )
        return self.nodes_left >= 0

    def fields(self, obj: Any, path: str, required: tuple, optional: tuple = ()) -> bool:
        """Report missing and unknown fields; False when `obj` is not a mapping at all."""
        if obj is MISSING:
            return False
        if not isinstance(obj, dict):
            names = ", ".join((*required, *optional))
            self.error(path, f"must be a mapping with fields {names}, not {type_name(obj)}")
            return False
        for name in required:
            if name not in obj:
                self.error(_join(path, name), "required field is missing")
        for name in obj:
            if name not in required and name not in optional:
                allowed = ", ".join((*required, *optional))
                self.error(_join(path, str(name)), f"unknown field (expected one of: {allowed})")
        return True

    def string(self, value: Any, path: str, *, max_length: int | None = None) -> Any:
        if value is MISSING:
            return INVALID
        if isinstance(value, bool):
            return self.error(
                path,
                f"is the boolean {str(value).lower()}, not text: YAML reads unquoted "
                'yes/no/on/off/true/false as booleans, so quote it (e.g. "yes")',
            )
        if not isinstance(value, str):
            return self.error(path, f"must be a string, not {type_name(value)}")
        value = value.strip()
        if not value:
            return self.error(path, "must not be empty")
        if max_length is not None and len(value) > max_length:
            return self.error(path, f"is {len(value)} characters long; the limit is {max_length}")
        return value

    def identifier(
        self, value: Any, path: str, pattern: re.Pattern, what: str, max_length: int
    ) -> Any:
        value = self.string(value, path, max_length=max_length)
        if value is not INVALID and not pattern.match(value):
            return self.error(path, f"{quoted(value)} is not {what}")
        return value

    def slug(self, value: Any, path: str, max_length: int = 64) -> Any:
        return self.identifier(
            value,
            path,
            SLUG_RE,
            "a slug (lowercase letters and digits, joined by - or _)",
            max_length,
        )

    def choice(self, value: Any, path: str, choices: tuple) -> Any:
        value = self.string(value, path)
        if value is not INVALID and value not in choices:
            return self.error(path, f"{quoted(value)} is not one of: {', '.join(choices)}")
        return value

    def fraction(self, value: Any, path: str) -> Any:
        """A number in [0, 1] (probabilities, levels, effectiveness, band bounds)."""
        if value is MISSING:
            return INVALID
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.error(path, f"must be a number between 0 and 1, not {type_name(value)}")
        if not 0 <= value <= 1:  # also rejects NaN
            return self.error(path, f"{value} is outside [0, 1]")
        return float(value)

    def boolean(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            return self.error(path, f"must be true or false, not {type_name(value)}")
        return value

    def items(self, value: Any, path: str, *, min_items: int = 0) -> list:
        """The list's items (empty when it is not a list, after recording the error)."""
        if value is MISSING:
            return []
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {type_name(value)}")
            return []
        if len(value) < min_items:
            self.error(path, "must have at least one item")
        return value

    def unique(self, value: Any, path: str, seen: dict, what: str) -> Any:
        """Record `value` as used at `path`; an error if it was used before."""
        if value is INVALID:
            return value
        if value in seen:
            return self.error(
                path, f"duplicate {what} {quoted(value)} (first used at {seen[value]})"
            )
        seen[value] = path
        return value

    def string_list(
        self, value: Any, path: str, *, min_items: int = 0, check=None, what="entry"
    ) -> list:
        result, seen = [], {}
        for i, item in enumerate(self.items(value, path, min_items=min_items)):
            item_path = f"{path}[{i}]"
            item = self.string(item, item_path)
            if item is not INVALID and check is not None:
                item = check(item, item_path)
            item = self.unique(item, item_path, seen, what)
            if item is not INVALID:
                result.append(item)
        return result

    def attack_ids(self, value: Any, path: str) -> list:
        def check(item, item_path):
            if not ATTACK_ID_RE.match(item):
                return self.error(item_path, f"{quoted(item)} {ATTACK_ID_HELP}")
            return item

        return self.string_list(value, path, check=check, what="ATT&CK id")


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "empty"
    if isinstance(value, datetime.date):
        return "a date"
    return f"a {type(value).__name__}"


def quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def listing(values) -> str:
    return ", ".join(str(v) for v in values) or "none"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
