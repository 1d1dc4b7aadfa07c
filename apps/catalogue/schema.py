"""The pack schema (docs/PACK_FORMAT.md): validate a parsed YAML pack and normalise it.

Pure Python, no Django, so the loader, the tests and offline tools share one definition.
`validate_pack` collects every mistake it can find (not only the first) as
`(path, reason)` pairs, e.g. `("sections[2].controls[4].mitigates[0]", "'T12' is not an
ATT&CK technique id ...")`, and returns the pack with defaults filled in.

This module holds the format's constants and the public functions; the checks themselves
live in `schema_checks` (structure) and `schema_values` (single values).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

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
# `documented-elsewhere`: the step is documented for the same actor, but in another of
# its operations (not against this scenario's targets); it must say where, in a note.
EVIDENCE_KINDS = ("documented", "documented-elsewhere", "inferred")
# A tree node's `step`: a short plain phrase for people ("stops the tracking picture
# reporting where you are"), shown as "why this matters" instead of the node's title.
MAX_STEP_LENGTH = 120
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
PACK_FIELDS = (
    "id",
    "version",
    "title",
    "audiences",
    "sources",
    "effort_weights",
    "baseline_floor",
    "sections",
    "scenarios",
)
SOURCE_FIELDS = ("id", "title", "publisher", "url", "date")
BASELINE_FLOOR_FIELDS = ("band", "reason")
SECTION_FIELDS = ("id", "title", "controls")
CONTROL_FIELDS = (
    "id", "title", "question", "help", "answers", "applies_if", "audiences", "effort",
    "critical", "remediation", "references", "mitigates", "baseline_reason",
)  # fmt: skip
ANSWER_FIELDS = ("key", "label", "level", "removes")
SCENARIO_FIELDS = ("id", "title", "summary", "audiences", "bands", "bands_reason", "tree")
NODE_FIELDS = ("id", "op", "title", "step", "children", "p0", "mitigations", "attack", "evidence")
MITIGATION_FIELDS = ("control", "role", "effectiveness", "reason")
EVIDENCE_FIELDS = ("kind", "sources", "note")


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
    from apps.catalogue.schema_checks import PackChecker  # it needs this module's constants

    checker = PackChecker()
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
        result = ordered(node, NODE_FIELDS)
        if "children" in result:
            result["children"] = [node_source(child) for child in node["children"]]
        if "mitigations" in result:
            result["mitigations"] = [
                ordered(m, MITIGATION_FIELDS if "reason" in m else MITIGATION_FIELDS[:2])
                for m in node["mitigations"]
            ]
        if "evidence" in result:
            result["evidence"] = ordered(node["evidence"], EVIDENCE_FIELDS)
        return result

    pack = ordered(content, PACK_FIELDS)
    pack["sources"] = [ordered(source, SOURCE_FIELDS) for source in content["sources"]]
    pack["effort_weights"] = ordered(content["effort_weights"], EFFORTS)
    if "baseline_floor" in content:
        pack["baseline_floor"] = ordered(content["baseline_floor"], BASELINE_FLOOR_FIELDS)
    pack["sections"] = [
        {
            **ordered(section, SECTION_FIELDS),
            "controls": [
                {
                    **ordered(control, CONTROL_FIELDS),
                    "answers": [ordered(a, ANSWER_FIELDS) for a in control["answers"]],
                }
                for control in section["controls"]
            ],
        }
        for section in content["sections"]
    ]
    pack["scenarios"] = [
        {
            **ordered(scenario, SCENARIO_FIELDS),
            "bands": ordered(scenario["bands"], BAND_NAMES),
            "tree": node_source(scenario["tree"]),
        }
        for scenario in content["scenarios"]
    ]
    return pack


def version_sort_key(version: str) -> tuple:
    """Order pack versions as people read them: 2026.2 before 2026.10, numbers before
    letters within a part ("2026.1" < "2026.1a" < "2026.2")."""
    parts = re.findall(r"\d+|[A-Za-z]+", version)
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts)


def iter_tree(node: dict, depth: int = 0):
    """Yield `(node, depth)` for every node of a validated tree, parents first."""
    yield node, depth
    for child in node.get("children", []):
        yield from iter_tree(child, depth + 1)


# A pack file is small; anything far larger is a mistake.
MAX_PACK_FILE_BYTES = 5 * 1024 * 1024


def read_pack_file(path) -> dict:
    """Read and validate one YAML pack file; return the normalised pack.

    Raises PackValidationError (with `source` set to the file) for an unreadable file, a
    YAML syntax error (with its line and column), a key written twice in one mapping, or a
    pack that breaks the format.
    """
    source = str(path)
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(MAX_PACK_FILE_BYTES + 1)
        if len(raw) > MAX_PACK_FILE_BYTES:
            raise PackValidationError(
                [("", f"the file is larger than {MAX_PACK_FILE_BYTES // 1024} KiB")], source=source
            )
        data = yaml.load(raw.decode("utf-8"), Loader=_StrictSafeLoader)  # noqa: S506 - a SafeLoader
    except OSError as exc:
        raise PackValidationError(
            [("", f"cannot read the file: {exc.strerror}")], source=source
        ) from exc
    except UnicodeDecodeError as exc:
        raise PackValidationError(
            [("", f"the file is not UTF-8 text (byte {exc.start})")], source=source
        ) from exc
    except yaml.YAMLError as exc:
        raise PackValidationError([_yaml_error(exc)], source=source) from exc
    if data is None:
        raise PackValidationError([("", "the file is empty")], source=source)
    try:
        return validate_pack(data)
    except PackValidationError as exc:
        exc.source = source
        raise


class _StrictSafeLoader(yaml.SafeLoader):
    """yaml.safe_load, except that a key repeated in one mapping is an error.

    Plain YAML keeps the last value silently, so a control with two `mitigates:` lines
    would lose the first without anyone noticing.
    """

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                hash(key)
            except TypeError:
                continue  # the base loader reports unhashable keys itself
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"found the key {key!r} twice (first on line {seen[key].line + 1})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _yaml_error(exc: yaml.YAMLError) -> tuple[str, str]:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    reason = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    if mark is None:
        return ("", reason)
    return (f"line {mark.line + 1}, column {mark.column + 1}", reason)
