"""The structure checks of a pack (see `apps.catalogue.schema.validate_pack`): sections,
controls and their conditions, scenarios and their trees, and the references between
them."""

from __future__ import annotations

import copy
import datetime
from typing import Any
from urllib.parse import urlsplit

from apps.catalogue.schema import (
    AUDIENCES,
    BAND_NAMES,
    BASELINE_FLOOR_FIELDS,
    CONTROL_ID_RE,
    DEFAULT_EFFECTIVENESS,
    DEFAULT_EFFORT_WEIGHTS,
    EFFORTS,
    EVIDENCE_KINDS,
    MAX_CONDITION_DEPTH,
    MAX_STEP_LENGTH,
    MAX_TREE_DEPTH,
    NODE_ID_RE,
    NOT_APPLICABLE,
    OPS,
    ROLES,
    SLUG_RE,
    SOURCE_DATE_RE,
    STANDARD_ANSWERS,
    UNSURE,
    VERSION_RE,
)
from apps.catalogue.schema_values import (
    INVALID,
    MISSING,
    ValueChecks,
    listing,
    quoted,
    type_name,
)


class PackChecker(ValueChecks):
    """One validation run over one pack. Methods return the normalised value or INVALID."""

    def __init__(self):
        super().__init__()
        self.audiences: set[str] = set()
        self.source_ids: set[str] = set()
        self.control_positions: dict[str, int] = {}  # id -> document position (first use)
        self.control_answer_keys: dict[str, list[str] | None] = {}
        self.control_paths: dict[str, str] = {}
        self.mitigated_controls: set[str] = set()
        self.primary_controls: set[str] = set()  # mitigate at least one step as primary
        self.removing_answers: dict[str, str] = {}  # control id -> path of its answer

    def audience_list(self, value: Any, path: str, allowed: set | None = None) -> list:
        def check(item, item_path):
            if allowed is None and item not in AUDIENCES:
                return self.error(
                    item_path, f"{quoted(item)} is not an audience ({listing(AUDIENCES)})"
                )
            if allowed is not None and item not in allowed:
                return self.error(
                    item_path,
                    f"{quoted(item)} is not one of the pack's audiences ({listing(sorted(allowed))})",
                )
            return item

        return self.string_list(value, path, min_items=1, check=check, what="audience")

    def source_refs(self, value: Any, path: str) -> list:
        def check(item, item_path):
            if item not in self.source_ids:
                return self.error(
                    item_path,
                    f"{quoted(item)} is not a source id of this pack (known: {listing(sorted(self.source_ids))})",
                )
            return item

        return self.string_list(value, path, check=check, what="source reference")

    # --- the pack -----------------------------------------------------------------------
    def pack(self, data: Any) -> dict:
        if not isinstance(data, dict):
            self.error(
                "", f"a pack must be a mapping of fields (id, version, ...), not {type_name(data)}"
            )
            return {}
        self.fields(
            data,
            "",
            ("id", "version", "title", "audiences", "sources", "sections", "scenarios"),
            ("effort_weights", "baseline_floor"),
        )
        pack = {
            "id": self.slug(data.get("id", MISSING), "id", max_length=80),
            "version": self.version(data.get("version", MISSING)),
            "title": self.string(data.get("title", MISSING), "title", max_length=200),
            "audiences": self.audience_list(data.get("audiences", MISSING), "audiences"),
        }
        self.audiences = set(pack["audiences"])
        pack["sources"] = self.sources(data.get("sources", MISSING))
        pack["effort_weights"] = self.effort_weights(data.get("effort_weights", {}))
        # Only present when given: adding a default would change every existing pack's
        # content (and so its checksum) under a version that has already been loaded.
        if "baseline_floor" in data:
            pack["baseline_floor"] = self.baseline_floor(data["baseline_floor"])
        self.index_controls(data.get("sections", MISSING))
        pack["sections"] = self.sections(data.get("sections", MISSING))
        errors_before_scenarios = len(self.errors)
        pack["scenarios"] = self.scenarios(data.get("scenarios", MISSING))
        # Which controls mitigate nothing is only known once the trees are sound: a broken
        # tree would otherwise bury its own error under one per control it lost.
        if pack["scenarios"] and len(self.errors) == errors_before_scenarios:
            self.check_baseline_reasons(pack["sections"])
            self.check_removing_answers()
        if "baseline_floor" in pack:
            self.check_floor_has_baseline(pack["sections"])
        return pack

    def baseline_floor(self, value: Any) -> Any:
        """`{band, reason}`: the lowest band any scenario shows while the baseline is not
        met. A floor of `low` would change nothing, so it is refused as a mistake."""
        if not self.fields(value, "baseline_floor", BASELINE_FLOOR_FIELDS):
            return INVALID
        floors = BAND_NAMES[1:]
        band = value.get("band", MISSING)
        if band == BAND_NAMES[0]:
            band = self.error(
                "baseline_floor.band",
                f"a floor of {BAND_NAMES[0]} changes nothing: use one of {listing(floors)}",
            )
        elif band is not MISSING:
            band = self.choice(band, "baseline_floor.band", floors)
        return {
            "band": band,
            "reason": self.string(value.get("reason", MISSING), "baseline_floor.reason"),
        }

    def check_floor_has_baseline(self, sections: list) -> None:
        """A floor applies when a `critical` control is not fully in place: without one,
        it could never apply."""
        if not any(
            control.get("critical")
            for section in sections
            if isinstance(section, dict)
            for control in section.get("controls") or ()
            if isinstance(control, dict)
        ):
            self.error(
                "baseline_floor",
                "no control of this pack is critical, so the baseline can never be unmet "
                "and the floor would never apply",
            )

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
                    self.slug(item.get("id", MISSING), f"{path}.id"),
                    f"{path}.id",
                    seen,
                    "source id",
                ),
                "title": self.string(item.get("title", MISSING), f"{path}.title"),
                "publisher": self.string(item.get("publisher", MISSING), f"{path}.publisher"),
                "url": self.url(item.get("url", MISSING), f"{path}.url"),
                "date": self.source_date(item.get("date", MISSING), f"{path}.date"),
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
            return self.error(path, f"{quoted(value)} is not an http(s) web address")
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or any(c.isspace() for c in value)
        ):
            return self.error(path, f"{quoted(value)} is not an http(s) web address")
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
            return self.error(path, f"{quoted(value)} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
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
            section_id = self.slug(item.get("id", MISSING), f"{path}.id")
            section = {
                "id": self.unique(section_id, f"{path}.id", seen_sections, "section id"),
                "title": self.string(item.get("title", MISSING), f"{path}.title", max_length=200),
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
            item.get("id", MISSING),
            f"{path}.id",
            CONTROL_ID_RE,
            "a control id like I-ACC-01 (^[A-Z]-[A-Z]{2,4}-\\d{2}$)",
            32,
        )
        control_id = self.unique(control_id, f"{path}.id", seen, "control id")
        control = {
            "id": control_id,
            "title": self.string(item.get("title", MISSING), f"{path}.title", max_length=200),
            "question": self.string(item.get("question", MISSING), f"{path}.question"),
            "help": self.string(item.get("help", MISSING), f"{path}.help"),
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
            for i, answer in enumerate([] if answers is INVALID else answers):
                if answer.get("removes") is True:
                    self.removing_answers[control_id] = f"{path}.answers[{i}]"
        if "applies_if" in item:
            control["applies_if"] = self.condition(
                item["applies_if"], f"{path}.applies_if", control_id, position, depth=0
            )
        control.update(
            {
                "audiences": self.audience_list(
                    item.get("audiences", MISSING), f"{path}.audiences", self.audiences
                ),
                "effort": self.choice(item.get("effort", MISSING), f"{path}.effort", EFFORTS),
                "critical": self.boolean(item["critical"], f"{path}.critical")
                if "critical" in item
                else False,
                "remediation": self.string_list(
                    item.get("remediation", MISSING),
                    f"{path}.remediation",
                    min_items=1,
                    what="step",
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
            if not self.fields(item, item_path, ("key", "label", "level"), ("removes",)):
                ok = False
                continue
            key = self.unique(
                self.identifier(
                    item.get("key", MISSING),
                    f"{item_path}.key",
                    SLUG_RE,
                    "a slug (lowercase letters and digits, joined by - or _)",
                    32,
                ),
                f"{item_path}.key",
                seen,
                "answer key",
            )
            level = item.get("level", MISSING)
            if level != NOT_APPLICABLE:
                level = self.fraction(level, f"{item_path}.level")
            if key == UNSURE and level not in (INVALID, 0.0):
                level = self.error(f"{item_path}.level", "the 'unsure' answer always has level 0")
            answer = {
                "key": key,
                "label": self.string(item.get("label", MISSING), f"{item_path}.label"),
                "level": level,
            }
            if "removes" in item:
                removes = self.boolean(item["removes"], f"{item_path}.removes")
                if removes is True and level is not INVALID and level != 1.0:
                    removes = self.error(
                        f"{item_path}.removes",
                        "an answer that removes the attack surface must have level 1 "
                        f"(the control is as good as in place), not {level!r}",
                    )
                answer["removes"] = removes
            ok = ok and INVALID not in answer.values()
            result.append(answer)
        return result if ok and result else INVALID

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
            ref = self.error(f"{path}.control", f"{quoted(ref)} is not a control of this pack")
        elif self.control_positions[ref] > position:
            ref = self.error(
                f"{path}.control",
                f"{quoted(ref)} comes later in the pack; applies_if may only refer to earlier controls",
            )
        else:
            keys = self.control_answer_keys.get(ref)

        def check(item, item_path):
            if keys is not None and item not in keys:
                return self.error(
                    item_path, f"{quoted(item)} is not an answer key of {ref} ({listing(keys)})"
                )
            return item

        errors_before = len(self.errors)
        in_keys = self.string_list(
            cond["in"], f"{path}.in", min_items=1, check=check, what="answer key"
        )
        if ref is INVALID or len(self.errors) > errors_before:
            return INVALID
        return {"control": ref, "in": in_keys}

    def check_removing_answers(self) -> None:
        """An answer that removes an attack surface removes the steps its control
        mitigates as primary: a control that is primary on none would remove nothing."""
        for control_id, path in sorted(self.removing_answers.items()):
            if control_id not in self.primary_controls:
                self.error(
                    f"{path}.removes",
                    f"{control_id} mitigates no step as primary, so this answer would "
                    "remove nothing (removing sets the steps it mitigates as primary to 0)",
                )

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
                    self.slug(item.get("id", MISSING), f"{path}.id"),
                    f"{path}.id",
                    seen,
                    "scenario id",
                ),
                "title": self.string(item.get("title", MISSING), f"{path}.title", max_length=200),
                "summary": self.string(item.get("summary", MISSING), f"{path}.summary"),
                "audiences": self.audience_list(
                    item.get("audiences", MISSING), f"{path}.audiences", self.audiences
                ),
                "bands": self.bands(item.get("bands", MISSING), f"{path}.bands"),
                "bands_reason": self.string(
                    item.get("bands_reason", MISSING), f"{path}.bands_reason"
                ),
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
                path, f"must be a tree node (a mapping with id, op, title), not {type_name(node)}"
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
        op = self.choice(node.get("op", MISSING), f"{path}.op", OPS)
        common = ("id", "op", "title")
        if op == "leaf":
            if "children" in node:
                self.error(
                    f"{path}.children",
                    "a leaf has no children (use op: and / op: or for a step with sub-steps)",
                )
            self.fields(
                node,
                path,
                (*common, "evidence"),
                ("step", "p0", "mitigations", "attack", "children"),
            )
        elif op in ("and", "or"):
            for name in ("p0", "mitigations", "attack"):
                if name in node:
                    self.error(
                        f"{path}.{name}", f"only a leaf can have '{name}' (this node is op: {op})"
                    )
            self.fields(
                node,
                path,
                (*common, "children"),
                ("step", "evidence", "p0", "mitigations", "attack"),
            )
        else:
            self.fields(
                node, path, common, ("step", "children", "evidence", "p0", "mitigations", "attack")
            )
        node_id = self.identifier(
            node.get("id", MISSING), f"{path}.id", NODE_ID_RE, "a node id like B1.1.2", 64
        )
        if node_id is not INVALID:
            if node_id in walk.ancestors:
                node_id = self.error(
                    f"{path}.id",
                    f"node id {quoted(node_id)} repeats an ancestor's id: the tree has a cycle",
                )
            else:
                node_id = self.unique(node_id, f"{path}.id", walk.seen, "node id")
        result = {
            "id": node_id,
            "op": op,
            "title": self.string(node.get("title", MISSING), f"{path}.title"),
        }
        if "step" in node:
            result["step"] = self.step_phrase(node["step"], f"{path}.step")
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

    def step_phrase(self, value: Any, path: str) -> Any:
        """A node's plain `step` phrase: one short line, no quotation marks (it is shown
        in running text, after "it helps" or "Why this matters:")."""
        value = self.string(value, path, max_length=MAX_STEP_LENGTH)
        if value is INVALID:
            return value
        if "\n" in value:
            return self.error(path, "must be one line")
        if any(mark in value for mark in '"\u201c\u201d'):
            return self.error(path, "must be a plain phrase, without quotation marks")
        return value

    def mitigations(self, value: Any, path: str) -> list:
        result, seen = [], {}
        for i, item in enumerate(self.items(value, path)):
            item_path = f"{path}[{i}]"
            if not self.fields(item, item_path, ("control", "role"), ("effectiveness", "reason")):
                continue
            control = self.string(item.get("control", MISSING), f"{item_path}.control")
            if control is not INVALID and control not in self.control_positions:
                control = self.error(
                    f"{item_path}.control", f"{quoted(control)} is not a control of this pack"
                )
            control = self.unique(control, f"{item_path}.control", seen, "mitigating control")
            if control is not INVALID:
                self.mitigated_controls.add(control)
            role = self.choice(item.get("role", MISSING), f"{item_path}.role", ROLES)
            if control is not INVALID and role == "primary":
                self.primary_controls.add(control)
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
            "kind": self.choice(value.get("kind", MISSING), f"{path}.kind", EVIDENCE_KINDS),
            "sources": self.source_refs(value.get("sources", []), f"{path}.sources"),
        }
        if "note" in value:
            evidence["note"] = self.string(value["note"], f"{path}.note")
        if evidence["kind"] == "documented-elsewhere":
            # Documented, but for another operation of the actor: the reader must be able
            # to tell which one, and check it.
            if not evidence["sources"]:
                self.error(
                    f"{path}.sources",
                    "required for 'documented-elsewhere': cite where the step is documented",
                )
            if "note" not in value:
                self.error(
                    f"{path}.note",
                    "required for 'documented-elsewhere': say which operation documents it",
                )
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
