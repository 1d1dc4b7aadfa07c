"""The pack schema (docs/PACK_FORMAT.md): validate a parsed YAML pack and normalise it.

Pure Python, no Django, so the loader, the tests and offline tools share one definition.
`validate_pack` collects every mistake it can find (not only the first) as
`(path, reason)` pairs, e.g. `("sections[2].controls[4].mitigates[0]", "'T12' is not an
ATT&CK technique id ...")`, and returns the pack with defaults filled in.
"""

from __future__ import annotations

import copy
import datetime
import re
from typing import Any
from urllib.parse import urlsplit

ATTACK_ID_RE = re.compile(r"^(?:mobile:)?T\d{4}(?:\.\d{3})?$")
CONTROL_ID_RE = re.compile(r"^[A-Z]-[A-Z]{2,4}-\d{2}$")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$")
NODE_ID_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
VERSION_RE = re.compile(r"^[0-9A-Za-z](?:[0-9A-Za-z._+-]*[0-9A-Za-z])?$")
SOURCE_DATE_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")

AUDIENCES = {
    "parliamentarian": "Members of Parliament",
    "peer": "Peers",
    "staff": "Staff",
    "candidate": "Candidates",
    "election_official": "Election officials",
    "office": "Offices",
}
EFFORTS = ("low", "medium", "high")
DEFAULT_EFFORT_WEIGHTS = {"low": 1.0, "medium": 2.0, "high": 4.0}
ROLES = ("primary", "supporting")
DEFAULT_EFFECTIVENESS = {"primary": 0.7, "supporting": 0.3}
OPS = ("and", "or", "leaf")
EVIDENCE_KINDS = ("documented", "inferred")
BAND_NAMES = ("low", "moderate", "high", "critical")
NOT_APPLICABLE = "na"
UNSURE = "unsure"
STANDARD_ANSWERS = [
    {"key": "yes", "label": "Yes", "level": 1.0},
    {"key": "partly", "label": "Partly", "level": 0.5},
    {"key": "no", "label": "No", "level": 0.0},
    {"key": UNSURE, "label": "I'm not sure", "level": 0.0},
    {"key": NOT_APPLICABLE, "label": "Does not apply to me", "level": NOT_APPLICABLE},
]
# Real trees are five or six levels deep; anything near this is a mistake or an attack
# (a YAML alias can make a structure that contains itself).
MAX_TREE_DEPTH = 20
MAX_CONDITION_DEPTH = 10
# Bounds the work on hostile input: YAML aliases can make a small file describe an
# exponentially large structure. Real packs use a few hundred nodes and conditions.
MAX_STRUCTURE_NODES = 20_000
ATTACK_ID_HELP = "is not an ATT&CK technique id (T1234, T1234.001 or mobile:T1234)"

# Field order of the format (docs/PACK_FORMAT.md), used for normalised and exported packs.
_PACK_FIELDS = (
    "id",
    "version",
    "title",
    "audiences",
    "sources",
    "effort_weights",
    "sections",
    "scenarios",
)
_SOURCE_FIELDS = ("id", "title", "publisher", "url", "date")
_SECTION_FIELDS = ("id", "title", "controls")
_CONTROL_FIELDS = (
    "id", "title", "question", "help", "answers", "applies_if", "audiences", "effort",
    "critical", "remediation", "references", "mitigates", "baseline_reason",
)  # fmt: skip
_ANSWER_FIELDS = ("key", "label", "level")
_SCENARIO_FIELDS = ("id", "title", "summary", "audiences", "bands", "bands_reason", "tree")
_NODE_FIELDS = ("id", "op", "title", "children", "p0", "mitigations", "attack", "evidence")
_MITIGATION_FIELDS = ("control", "role", "effectiveness", "reason")
_EVIDENCE_FIELDS = ("kind", "sources", "note")

INVALID = object()  # a value that failed validation (its error is already recorded)


class PackValidationError(ValueError):
    """A pack that does not match the format. `errors` lists every `(path, reason)` found."""

    def __init__(self, errors: list[tuple[str, str]], *, source: str = ""):
        self.errors = list(errors)
        self.source = source
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """One `<file>: <path>: <reason>` line per error (file and path when known)."""
        return [
            ": ".join(part for part in (self.source, path, reason) if part)
            for path, reason in self.errors
        ]


def validate_pack(data: Any) -> dict:
    """Check `data` (a parsed pack) against the format; return it normalised.

    Normalised means: strings stripped, numbers as floats, and defaults filled in (the
    standard answer scale, `critical: false`, leaf `p0: 1.0`, mitigation effectiveness
    0.7/0.3 by role, empty lists for optional lists, the default effort weights).
    Raises PackValidationError listing every problem found.
    """
    checker = _PackChecker()
    normalised = checker.pack(data)
    if checker.errors:
        raise PackValidationError(checker.errors)
    return normalised


def pack_source_from_content(content: dict) -> dict:
    """The loadable form of a normalised pack, for export: loading it again gives the
    same content, byte for byte.

    Keys come back in the format's order (a PostgreSQL jsonb column does not keep it).
    The one default that cannot be written back as-is is a filled-in effectiveness: the
    format asks for a `reason` beside every explicit value, so it is dropped again
    wherever no reason was given.
    """

    def ordered(obj: dict, names: tuple) -> dict:
        return {name: copy.deepcopy(obj[name]) for name in names if name in obj}

    def node_source(node: dict) -> dict:
        result = ordered(node, _NODE_FIELDS)
        if "children" in result:
            result["children"] = [node_source(child) for child in node["children"]]
        if "mitigations" in result:
            result["mitigations"] = [
                ordered(m, _MITIGATION_FIELDS if "reason" in m else _MITIGATION_FIELDS[:2])
                for m in node["mitigations"]
            ]
        if "evidence" in result:
            result["evidence"] = ordered(node["evidence"], _EVIDENCE_FIELDS)
        return result

    pack = ordered(content, _PACK_FIELDS)
    pack["sources"] = [ordered(source, _SOURCE_FIELDS) for source in content["sources"]]
    pack["effort_weights"] = ordered(content["effort_weights"], EFFORTS)
    pack["sections"] = [
        {
            **ordered(section, _SECTION_FIELDS),
            "controls": [
                {
                    **ordered(control, _CONTROL_FIELDS),
                    "answers": [ordered(a, _ANSWER_FIELDS) for a in control["answers"]],
                }
                for control in section["controls"]
            ],
        }
        for section in content["sections"]
    ]
    pack["scenarios"] = [
        {
            **ordered(scenario, _SCENARIO_FIELDS),
            "bands": ordered(scenario["bands"], BAND_NAMES),
            "tree": node_source(scenario["tree"]),
        }
        for scenario in content["scenarios"]
    ]
    return pack


def iter_tree(node: dict, depth: int = 0):
    """Yield `(node, depth)` for every node of a validated tree, parents first."""
    yield node, depth
    for child in node.get("children", []):
        yield from iter_tree(child, depth + 1)


def _type_name(value: Any) -> str:
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


def _quoted(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else repr(value)


def _listing(values) -> str:
    return ", ".join(str(v) for v in values) or "none"


class _PackChecker:
    """One validation run. Methods return the normalised value or INVALID."""

    def __init__(self):
        self.errors: list[tuple[str, str]] = []
        self.audiences: set[str] = set()
        self.source_ids: set[str] = set()
        self.control_positions: dict[str, int] = {}  # id -> document position (first use)
        self.control_answer_keys: dict[str, list[str] | None] = {}
        self.control_paths: dict[str, str] = {}
        self.mitigated_controls: set[str] = set()
        self.nodes_left = MAX_STRUCTURE_NODES

    def error(self, path: str, reason: str) -> object:
        self.errors.append((path, reason))
        return INVALID

    # --- primitives -------------------------------------------------------------------
    def fields(self, obj: Any, path: str, required: tuple, optional: tuple = ()) -> bool:
        """Report missing and unknown fields; False when `obj` is not a mapping at all."""
        if not isinstance(obj, dict):
            names = ", ".join((*required, *optional))
            self.error(path, f"must be a mapping with fields {names}, not {_type_name(obj)}")
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
        if isinstance(value, bool):
            return self.error(
                path,
                f"is the boolean {str(value).lower()}, not text: YAML reads unquoted "
                'yes/no/on/off/true/false as booleans, so quote it (e.g. "yes")',
            )
        if not isinstance(value, str):
            return self.error(path, f"must be a string, not {_type_name(value)}")
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
            return self.error(path, f"{_quoted(value)} is not {what}")
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
            return self.error(path, f"{_quoted(value)} is not one of: {', '.join(choices)}")
        return value

    def fraction(self, value: Any, path: str) -> Any:
        """A number in [0, 1] (probabilities, levels, effectiveness, band bounds)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self.error(path, f"must be a number between 0 and 1, not {_type_name(value)}")
        if not 0 <= value <= 1:  # also rejects NaN
            return self.error(path, f"{value} is outside [0, 1]")
        return float(value)

    def boolean(self, value: Any, path: str) -> Any:
        if not isinstance(value, bool):
            return self.error(path, f"must be true or false, not {_type_name(value)}")
        return value

    def items(self, value: Any, path: str, *, min_items: int = 0) -> list:
        """The list's items (empty when it is not a list, after recording the error)."""
        if not isinstance(value, list):
            self.error(path, f"must be a list, not {_type_name(value)}")
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
                path, f"duplicate {what} {_quoted(value)} (first used at {seen[value]})"
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

    def audience_list(self, value: Any, path: str, allowed: set | None = None) -> list:
        def check(item, item_path):
            if allowed is None and item not in AUDIENCES:
                return self.error(
                    item_path, f"{_quoted(item)} is not an audience ({_listing(AUDIENCES)})"
                )
            if allowed is not None and item not in allowed:
                return self.error(
                    item_path,
                    f"{_quoted(item)} is not one of the pack's audiences ({_listing(sorted(allowed))})",
                )
            return item

        return self.string_list(value, path, min_items=1, check=check, what="audience")

    def source_refs(self, value: Any, path: str) -> list:
        def check(item, item_path):
            if item not in self.source_ids:
                return self.error(
                    item_path,
                    f"{_quoted(item)} is not a source id of this pack (known: {_listing(sorted(self.source_ids))})",
                )
            return item

        return self.string_list(value, path, check=check, what="source reference")

    def attack_ids(self, value: Any, path: str) -> list:
        def check(item, item_path):
            if not ATTACK_ID_RE.match(item):
                return self.error(item_path, f"{_quoted(item)} {ATTACK_ID_HELP}")
            return item

        return self.string_list(value, path, check=check, what="ATT&CK id")

    # --- the pack -----------------------------------------------------------------------
    def pack(self, data: Any) -> dict:
        if not isinstance(data, dict):
            self.error(
                "", f"a pack must be a mapping of fields (id, version, ...), not {_type_name(data)}"
            )
            return {}
        self.fields(
            data,
            "",
            ("id", "version", "title", "audiences", "sources", "sections", "scenarios"),
            ("effort_weights",),
        )
        pack = {
            "id": self.slug(data.get("id"), "id", max_length=80) if "id" in data else INVALID,
            "version": self.version(data["version"]) if "version" in data else INVALID,
            "title": self.string(data.get("title"), "title", max_length=200)
            if "title" in data
            else INVALID,
            "audiences": self.audience_list(data.get("audiences"), "audiences")
            if "audiences" in data
            else [],
        }
        self.audiences = set(pack["audiences"])
        pack["sources"] = self.sources(data["sources"]) if "sources" in data else []
        pack["effort_weights"] = self.effort_weights(data.get("effort_weights", {}))
        self.index_controls(data.get("sections"))
        pack["sections"] = self.sections(data["sections"]) if "sections" in data else []
        pack["scenarios"] = self.scenarios(data["scenarios"]) if "scenarios" in data else []
        if pack["scenarios"]:
            self.check_baseline_reasons(pack["sections"])
        return pack

    def version(self, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return self.error(
                "version",
                f'must be a string: quote it in YAML (version: "{value}"); '
                "unquoted, 2026.10 would be read as the number 2026.1",
            )
        return self.identifier(
            value, "version", VERSION_RE, "a version (letters, digits, '.', '-', '_' or '+')", 32
        )

    def sources(self, value: Any) -> list:
        result, seen = [], {}
        for i, item in enumerate(self.items(value, "sources", min_items=1)):
            path = f"sources[{i}]"
            if not self.within_budget(path) or not self.fields(
                item, path, ("id", "title", "publisher", "url", "date")
            ):
                continue
            source = {
                "id": self.unique(
                    self.slug(item.get("id"), f"{path}.id"), f"{path}.id", seen, "source id"
                ),
                "title": self.string(item.get("title"), f"{path}.title"),
                "publisher": self.string(item.get("publisher"), f"{path}.publisher"),
                "url": self.url(item.get("url"), f"{path}.url"),
                "date": self.source_date(item.get("date"), f"{path}.date"),
            }
            if source["id"] is not INVALID:
                self.source_ids.add(source["id"])
            result.append(source)
        return result

    def url(self, value: Any, path: str) -> Any:
        value = self.string(value, path, max_length=2000)
        if value is INVALID:
            return value
        # SECURITY: source urls become links on the catalogue pages; only web addresses,
        # never javascript: or data: urls.
        try:
            parts = urlsplit(value)
        except ValueError:
            return self.error(path, f"{_quoted(value)} is not an http(s) web address")
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in value)
        ):
            return self.error(path, f"{_quoted(value)} is not an http(s) web address")
        return value

    def source_date(self, value: Any, path: str) -> Any:
        # Unquoted YAML dates arrive as date objects and bare years as numbers: both are
        # unambiguous, so they are accepted and written back as text.
        if isinstance(value, datetime.datetime):
            value = value.date().isoformat()
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        value = self.string(value, path)
        if value is INVALID:
            return value
        try:
            if not SOURCE_DATE_RE.match(value):
                raise ValueError
            datetime.date.fromisoformat((value + "-01-01")[:10])
        except ValueError:
            return self.error(path, f"{_quoted(value)} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
        return value

    def effort_weights(self, value: Any) -> dict:
        weights = dict(DEFAULT_EFFORT_WEIGHTS)
        if not self.fields(value, "effort_weights", (), EFFORTS):
            return weights
        for name in EFFORTS:
            if name not in value:
                continue
            weight = value[name]
            if (
                isinstance(weight, bool)
                or not isinstance(weight, int | float)
                or not 0 < weight < 1000
            ):
                self.error(f"effort_weights.{name}", "must be a positive number")
            else:
                weights[name] = float(weight)
        return weights

    # --- sections and controls ---------------------------------------------------------
    def index_controls(self, sections: Any) -> None:
        """Every control id with its document position, so that applies_if can tell an
        unknown control from a later one."""
        for _, _, control, position in _walk_controls(sections):
            if isinstance(control, dict) and isinstance(control.get("id"), str):
                self.control_positions.setdefault(control["id"].strip(), position)

    def sections(self, value: Any) -> list:
        result, seen_sections, seen_controls = [], {}, {}
        position = 0  # counted exactly as _walk_controls counts, for applies_if
        for i, item in enumerate(self.items(value, "sections", min_items=1)):
            path = f"sections[{i}]"
            if not self.fields(item, path, ("id", "title", "controls")):
                continue
            section_id = self.slug(item.get("id"), f"{path}.id")
            section = {
                "id": self.unique(section_id, f"{path}.id", seen_sections, "section id"),
                "title": self.string(item.get("title"), f"{path}.title", max_length=200),
                "controls": [],
            }
            if "controls" in item:
                controls = self.items(item["controls"], f"{path}.controls", min_items=1)
                for j, control in enumerate(controls):
                    control = self.control(
                        control, f"{path}.controls[{j}]", position, seen_controls
                    )
                    position += 1
                    if control is not INVALID:
                        section["controls"].append(control)
            result.append(section)
        return result

    def control(self, item: Any, path: str, position: int, seen: dict) -> Any:
        required = ("id", "title", "question", "help", "audiences", "effort", "remediation")
        optional = (
            "answers",
            "applies_if",
            "critical",
            "references",
            "mitigates",
            "baseline_reason",
        )
        if not self.within_budget(path) or not self.fields(item, path, required, optional):
            return INVALID
        control_id = self.identifier(
            item.get("id"),
            f"{path}.id",
            CONTROL_ID_RE,
            "a control id like I-ACC-01 (^[A-Z]-[A-Z]{2,4}-\\d{2}$)",
            32,
        )
        control_id = self.unique(control_id, f"{path}.id", seen, "control id")
        control = {
            "id": control_id,
            "title": self.string(item.get("title"), f"{path}.title", max_length=200),
            "question": self.string(item.get("question"), f"{path}.question"),
            "help": self.string(item.get("help"), f"{path}.help"),
            "answers": self.answers(item["answers"], f"{path}.answers")
            if "answers" in item
            else copy.deepcopy(STANDARD_ANSWERS),
        }
        if control_id is not INVALID:
            self.control_paths[control_id] = path
            answers = control["answers"]
            self.control_answer_keys[control_id] = (
                None if answers is INVALID else [a["key"] for a in answers]
            )
        if "applies_if" in item:
            control["applies_if"] = self.condition(
                item["applies_if"], f"{path}.applies_if", control_id, position, depth=0
            )
        control.update(
            {
                "audiences": self.audience_list(
                    item.get("audiences"), f"{path}.audiences", self.audiences
                ),
                "effort": self.choice(item.get("effort"), f"{path}.effort", EFFORTS),
                "critical": self.boolean(item["critical"], f"{path}.critical")
                if "critical" in item
                else False,
                "remediation": self.string_list(
                    item.get("remediation"), f"{path}.remediation", min_items=1, what="step"
                ),
                "references": self.source_refs(item.get("references", []), f"{path}.references"),
                "mitigates": self.attack_ids(item.get("mitigates", []), f"{path}.mitigates"),
            }
        )
        if "baseline_reason" in item:
            control["baseline_reason"] = self.string(
                item["baseline_reason"], f"{path}.baseline_reason"
            )
        return control

    def answers(self, value: Any, path: str) -> Any:
        result, seen = [], {}
        ok = isinstance(value, list)
        for i, item in enumerate(self.items(value, path, min_items=1)):
            item_path = f"{path}[{i}]"
            if not self.fields(item, item_path, ("key", "label", "level")):
                ok = False
                continue
            key = self.unique(
                self.identifier(
                    item.get("key"),
                    f"{item_path}.key",
                    SLUG_RE,
                    "a slug (lowercase letters and digits, joined by - or _)",
                    32,
                ),
                f"{item_path}.key",
                seen,
                "answer key",
            )
            level = item.get("level")
            if level != NOT_APPLICABLE:
                level = self.fraction(level, f"{item_path}.level")
            if key == UNSURE and level not in (INVALID, 0.0):
                level = self.error(f"{item_path}.level", "the 'unsure' answer always has level 0")
            answer = {
                "key": key,
                "label": self.string(item.get("label"), f"{item_path}.label"),
                "level": level,
            }
            ok = ok and INVALID not in answer.values()
            result.append(answer)
        return result if ok and result else INVALID

    def within_budget(self, path: str) -> bool:
        """Count one structure (control, source, node, condition); False once too many."""
        self.nodes_left -= 1
        if self.nodes_left == -1:
            self.error(
                path,
                f"the pack has more than {MAX_STRUCTURE_NODES} controls, sources, tree nodes and conditions",
            )
        return self.nodes_left >= 0

    def condition(self, cond: Any, path: str, own_id: Any, position: int, depth: int) -> Any:
        if not self.within_budget(path):
            return INVALID
        if depth > MAX_CONDITION_DEPTH:
            return self.error(
                path, f"conditions are nested more than {MAX_CONDITION_DEPTH} levels deep"
            )
        forms = "{control: ID, in: [answer keys]}, {all: [...]}, {any: [...]} or {not: condition}"
        if not isinstance(cond, dict):
            return self.error(path, f"must be a condition: {forms}")
        if "control" in cond or "in" in cond:
            if not self.fields(cond, path, ("control", "in")):
                return INVALID
            return self.answer_condition(cond, path, own_id, position)
        operators = [name for name in ("all", "any", "not") if name in cond]
        if len(operators) != 1:
            return self.error(path, f"must be exactly one condition: {forms}")
        op = operators[0]
        if not self.fields(cond, path, (op,)):
            return INVALID
        if op == "not":
            inner = self.condition(cond["not"], f"{path}.not", own_id, position, depth + 1)
            return INVALID if inner is INVALID else {"not": inner}
        inner = [
            self.condition(c, f"{path}.{op}[{i}]", own_id, position, depth + 1)
            for i, c in enumerate(self.items(cond[op], f"{path}.{op}", min_items=1))
        ]
        return INVALID if INVALID in inner or not inner else {op: inner}

    def answer_condition(self, cond: dict, path: str, own_id: Any, position: int) -> Any:
        ref = self.string(cond["control"], f"{path}.control")
        keys = None
        if ref is INVALID:
            pass
        elif ref == own_id:
            ref = self.error(f"{path}.control", "a control cannot depend on its own answer")
        elif ref not in self.control_positions:
            ref = self.error(f"{path}.control", f"{_quoted(ref)} is not a control of this pack")
        elif self.control_positions[ref] > position:
            ref = self.error(
                f"{path}.control",
                f"{_quoted(ref)} comes later in the pack; applies_if may only refer to earlier controls",
            )
        else:
            keys = self.control_answer_keys.get(ref)

        def check(item, item_path):
            if keys is not None and item not in keys:
                return self.error(
                    item_path, f"{_quoted(item)} is not an answer key of {ref} ({_listing(keys)})"
                )
            return item

        errors_before = len(self.errors)
        in_keys = self.string_list(
            cond["in"], f"{path}.in", min_items=1, check=check, what="answer key"
        )
        if ref is INVALID or len(self.errors) > errors_before:
            return INVALID
        return {"control": ref, "in": in_keys}

    def check_baseline_reasons(self, sections: list) -> None:
        for section in sections:
            for control in section["controls"]:
                control_id = control["id"]
                if (
                    control_id is not INVALID
                    and control_id not in self.mitigated_controls
                    and "baseline_reason" not in control
                ):
                    self.error(
                        f"{self.control_paths[control_id]}.baseline_reason",
                        f"required: {control_id} mitigates no step of any scenario, so say why "
                        "it is still asked (e.g. baseline hygiene)",
                    )

    # --- scenarios and trees ------------------------------------------------------------
    def scenarios(self, value: Any) -> list:
        result, seen = [], {}
        for i, item in enumerate(self.items(value, "scenarios", min_items=1)):
            path = f"scenarios[{i}]"
            required = ("id", "title", "summary", "audiences", "bands", "bands_reason", "tree")
            if not self.fields(item, path, required):
                continue
            scenario = {
                "id": self.unique(
                    self.slug(item.get("id"), f"{path}.id"), f"{path}.id", seen, "scenario id"
                ),
                "title": self.string(item.get("title"), f"{path}.title", max_length=200),
                "summary": self.string(item.get("summary"), f"{path}.summary"),
                "audiences": self.audience_list(
                    item.get("audiences"), f"{path}.audiences", self.audiences
                ),
                "bands": self.bands(item.get("bands"), f"{path}.bands"),
                "bands_reason": self.string(item.get("bands_reason"), f"{path}.bands_reason"),
            }
            if "tree" in item:
                scenario["tree"] = self.node(item["tree"], f"{path}.tree", _TreeWalk())
            result.append(scenario)
        return result

    def bands(self, value: Any, path: str) -> Any:
        if not self.fields(value, path, BAND_NAMES):
            return INVALID
        bands = {
            name: self.fraction(value[name], f"{path}.{name}")
            for name in BAND_NAMES
            if name in value
        }
        if bands.get("low") not in (None, INVALID, 0.0):
            self.error(f"{path}.low", "the low band must start at 0")
        known = [
            (name, bands[name]) for name in BAND_NAMES if bands.get(name, INVALID) is not INVALID
        ]
        for (lower_name, lower), (name, bound) in zip(known, known[1:], strict=False):
            if bound <= lower:
                self.error(
                    f"{path}.{name}",
                    f"bands must be strictly increasing: {name} ({bound}) is not above {lower_name} ({lower})",
                )
        return bands

    def node(self, node: Any, path: str, walk: _TreeWalk, depth: int = 0) -> Any:
        if not self.within_budget(path):
            return INVALID
        if depth > MAX_TREE_DEPTH:
            return self.error(path, f"the tree is nested more than {MAX_TREE_DEPTH} levels deep")
        if not isinstance(node, dict):
            return self.error(
                path, f"must be a tree node (a mapping with id, op, title), not {_type_name(node)}"
            )
        # Only YAML aliases can make one object appear twice; never walk it again.
        if id(node) in walk.open_objects:
            return self.error(
                path, "this node contains itself (a YAML alias loop): the tree has a cycle"
            )
        if id(node) in walk.visited_objects:
            return self.error(
                path, "this node appears twice in the tree (a YAML alias): node ids must be unique"
            )
        walk.visited_objects.add(id(node))
        op = self.choice(node.get("op"), f"{path}.op", OPS) if "op" in node else INVALID
        common = ("id", "op", "title")
        if op == "leaf":
            if "children" in node:
                self.error(
                    f"{path}.children",
                    "a leaf has no children (use op: and / op: or for a step with sub-steps)",
                )
            self.fields(
                node, path, (*common, "evidence"), ("p0", "mitigations", "attack", "children")
            )
        elif op in ("and", "or"):
            for name in ("p0", "mitigations", "attack"):
                if name in node:
                    self.error(
                        f"{path}.{name}", f"only a leaf can have '{name}' (this node is op: {op})"
                    )
            self.fields(
                node, path, (*common, "children"), ("evidence", "p0", "mitigations", "attack")
            )
        else:
            self.fields(node, path, common, ("children", "evidence", "p0", "mitigations", "attack"))
        node_id = (
            self.identifier(node.get("id"), f"{path}.id", NODE_ID_RE, "a node id like B1.1.2", 64)
            if "id" in node
            else INVALID
        )
        if node_id is not INVALID:
            if node_id in walk.ancestors:
                node_id = self.error(
                    f"{path}.id",
                    f"node id {_quoted(node_id)} repeats an ancestor's id: the tree has a cycle",
                )
            else:
                node_id = self.unique(node_id, f"{path}.id", walk.seen, "node id")
        result = {"id": node_id, "op": op, "title": self.string(node.get("title"), f"{path}.title")}
        if op in ("and", "or") and "children" in node:
            walk.open_objects.add(id(node))
            walk.ancestors.append(node_id)
            result["children"] = [
                self.node(child, f"{path}.children[{i}]", walk, depth + 1)
                for i, child in enumerate(
                    self.items(node["children"], f"{path}.children", min_items=1)
                )
            ]
            walk.ancestors.pop()
            walk.open_objects.discard(id(node))
        elif op == "leaf":
            result["p0"] = self.fraction(node["p0"], f"{path}.p0") if "p0" in node else 1.0
            result["mitigations"] = self.mitigations(
                node.get("mitigations", []), f"{path}.mitigations"
            )
            result["attack"] = self.attack_ids(node.get("attack", []), f"{path}.attack")
        if "evidence" in node:
            result["evidence"] = self.evidence(node["evidence"], f"{path}.evidence")
        return result

    def mitigations(self, value: Any, path: str) -> list:
        result, seen = [], {}
        for i, item in enumerate(self.items(value, path)):
            item_path = f"{path}[{i}]"
            if not self.fields(item, item_path, ("control", "role"), ("effectiveness", "reason")):
                continue
            control = self.string(item.get("control"), f"{item_path}.control")
            if control is not INVALID and control not in self.control_positions:
                control = self.error(
                    f"{item_path}.control", f"{_quoted(control)} is not a control of this pack"
                )
            control = self.unique(control, f"{item_path}.control", seen, "mitigating control")
            if control is not INVALID:
                self.mitigated_controls.add(control)
            role = self.choice(item.get("role"), f"{item_path}.role", ROLES)
            mitigation = {"control": control, "role": role}
            if "effectiveness" in item:
                mitigation["effectiveness"] = self.fraction(
                    item["effectiveness"], f"{item_path}.effectiveness"
                )
                if "reason" not in item:
                    self.error(
                        f"{item_path}.reason",
                        "required when 'effectiveness' is given: say why this step is blocked more or less than the default",
                    )
            elif role is not INVALID:
                mitigation["effectiveness"] = DEFAULT_EFFECTIVENESS[role]
            if "reason" in item:
                mitigation["reason"] = self.string(item["reason"], f"{item_path}.reason")
            result.append(mitigation)
        return result

    def evidence(self, value: Any, path: str) -> Any:
        if not self.fields(value, path, ("kind",), ("sources", "note")):
            return INVALID
        evidence = {
            "kind": self.choice(value.get("kind"), f"{path}.kind", EVIDENCE_KINDS),
            "sources": self.source_refs(value.get("sources", []), f"{path}.sources"),
        }
        if "note" in value:
            evidence["note"] = self.string(value["note"], f"{path}.note")
        return evidence


class _TreeWalk:
    """State of one scenario's tree walk: ids seen anywhere, ids on the current path."""

    def __init__(self):
        self.seen: dict[str, str] = {}
        self.ancestors: list = []
        self.open_objects: set[int] = set()
        self.visited_objects: set[int] = set()


def _walk_controls(sections: Any):
    """Yield `(section_index, control_index, control, position)` in document order,
    skipping anything that is not shaped like sections of controls."""
    position = 0
    if not isinstance(sections, list):
        return
    for i, section in enumerate(sections):
        if not isinstance(section, dict) or not isinstance(section.get("controls"), list):
            continue
        for j, control in enumerate(section["controls"]):
            yield i, j, control, position
            position += 1


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
