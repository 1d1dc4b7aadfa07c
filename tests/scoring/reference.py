"""A deliberately naive reference for the engine, written straight from the spec
(ARCHITECTURE.md §4), to check the optimised engine against.

It re-evaluates the whole tree, recursively, for every question it is asked.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

ALL_FULL_TOLERANCE = 1e-9


def _subtree(node: dict, levels: Mapping[str, float]) -> tuple[float, dict[str, float]]:
    """(base likelihood, {control: barrier factor}); the value is base × Π factors."""
    if node["op"] == "leaf":
        factors: dict[str, float] = {}
        for m in node.get("mitigations", []):
            e = m.get("effectiveness", 0.7 if m.get("role", "primary") == "primary" else 0.3)
            factor = 1.0 - e * levels.get(m["control"], 0.0)
            factors[m["control"]] = min(factor, factors.get(m["control"], 1.0))
        return node.get("p0", 1.0), factors
    parts = [_subtree(child, levels) for child in node["children"]]
    if node["op"] == "and":
        base, merged = 1.0, {}
        for child_base, child_factors in parts:
            base *= child_base
            for control, factor in child_factors.items():
                merged[control] = min(factor, merged.get(control, 1.0))  # strongest barrier
        return base, merged
    q = 1.0
    for child_base, child_factors in parts:
        p = child_base
        for factor in child_factors.values():
            p *= factor
        q *= 1.0 - p
    return 1.0 - q, {}


def reference_exposure(tree: dict, levels: Mapping[str, float]) -> float:
    base, factors = _subtree(tree, levels)
    for factor in factors.values():
        base *= factor
    return base


def _holds(cond, answers, shown) -> bool | None:
    if "control" in cond:
        ref = cond["control"]
        if ref not in shown or ref not in answers:
            return None
        return answers[ref] in cond["in"]
    if "not" in cond:
        inner = _holds(cond["not"], answers, shown)
        return None if inner is None else not inner
    values = [_holds(c, answers, shown) for c in cond.get("all", cond.get("any"))]
    if "all" in cond:
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)


def reference_levels(content: dict, answers: Mapping[str, str], audience: str):
    """({control: level} for scoring, set of candidate controls for a plan)."""
    shown: set[str] = set()
    levels: dict[str, float] = {}
    candidates: set[str] = set()
    for section in content["sections"]:
        for control in section["controls"]:
            cid = control["id"]
            if audience not in control.get("audiences", content["audiences"]):
                continue
            cond = control.get("applies_if")
            if cond is not None and _holds(cond, answers, shown) is not True:
                continue
            shown.add(cid)
            scale = {a["key"]: a["level"] for a in control.get("answers") or DEFAULT_SCALE}
            key = answers.get(cid)
            level = 0.0 if key in (None, "unsure") else scale[key]
            if level == "na":
                continue
            levels[cid] = float(level)
            if level < 1.0:
                candidates.add(cid)
    return levels, candidates


DEFAULT_SCALE = [
    {"key": "yes", "level": 1.0},
    {"key": "partly", "level": 0.5},
    {"key": "no", "level": 0.0},
    {"key": "unsure", "level": 0.0},
    {"key": "na", "level": "na"},
]


def person_scenarios(content: dict, audience: str) -> list[dict]:
    return [s for s in content["scenarios"] if audience in s.get("audiences", content["audiences"])]


def total_exposure(scenarios: list[dict], levels: Mapping[str, float]) -> float:
    return sum(reference_exposure(s["tree"], levels) for s in scenarios)


def reference_gains(content, scenarios, levels, candidates) -> tuple[dict, dict]:
    """Cut per effort of every single, and of every pair in which at least one control
    cuts nothing alone, by brute force."""
    weights = {"low": 1.0, "medium": 2.0, "high": 4.0, **content.get("effort_weights", {})}
    effort = {c["id"]: weights[c["effort"]] for s in content["sections"] for c in s["controls"]}
    now = total_exposure(scenarios, levels)
    singles, zero = {}, []
    for c in sorted(candidates):
        cut = now - total_exposure(scenarios, {**levels, c: 1.0})
        singles[(c,)] = cut / effort[c]
        if cut <= 1e-12:
            zero.append(c)
    pairs = {}
    for a, b in itertools.combinations(sorted(candidates), 2):
        if a not in zero and b not in zero:
            continue
        cut = now - total_exposure(scenarios, {**levels, a: 1.0, b: 1.0})
        pairs[(a, b)] = cut / (effort[a] + effort[b])
    return singles, pairs
