"""A deliberately naive reference for the engine, written straight from the spec
(ARCHITECTURE.md §4), to check the optimised engine against: exposure with common cause
along a whole path, open routes, and answers that remove an attack surface.

It re-evaluates the whole tree, recursively, for every question it is asked.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

ALL_FULL_TOLERANCE = 1e-9


BLOCKING = 0.6  # the engine's blocking threshold (compiler.BLOCKING_EFFECTIVENESS)


def _effectiveness(m: dict) -> float:
    e = m.get("effectiveness")
    if e is None:
        e = 0.7 if m.get("role", "primary") == "primary" else 0.3
    return e


def _region(node: dict, leaves: list, ors: list) -> None:
    """The steps of the AND region starting at `node`, and the ORs hanging off it."""
    if node["op"] == "leaf":
        leaves.append(node)
    elif node["op"] == "and":
        for child in node["children"]:
            _region(child, leaves, ors)
    else:
        ors.append(node)


def _removed(leaf: dict, removed) -> bool:
    return any(
        m["control"] in removed
        for m in leaf.get("mitigations", [])
        if m.get("role", "primary") == "primary"
    )


def _likelihood(node: dict, levels, above: dict, removed) -> float:
    """Likelihood of the subtree at `node` (the root or a child of an OR). `above`: the
    strongest effectiveness of each control in the regions above on the path. A control
    counts once along a path at its strongest: deeper down it counts only by how much
    stronger it is there, (1 − e l) / (1 − e_above l)."""
    if node["op"] == "or":
        q = 1.0
        for child in node["children"]:
            q *= 1.0 - _likelihood(child, levels, above, removed)
        return 1.0 - q
    leaves, ors = [], []
    _region(node, leaves, ors)
    strongest: dict[str, float] = {}
    p = 1.0
    for leaf in leaves:
        p *= 0.0 if _removed(leaf, removed) else leaf.get("p0", 1.0)
        for m in leaf.get("mitigations", []):
            strongest[m["control"]] = max(_effectiveness(m), strongest.get(m["control"], 0.0))
    below = dict(above)
    for control, e in strongest.items():
        e_above = above.get(control, 0.0)
        level = levels.get(control, 0.0)
        if e > e_above:
            p *= (1.0 - e * level) / (1.0 - e_above * level)
            below[control] = e
    for child in ors:
        p *= _likelihood(child, levels, below, removed)
    return p


def reference_exposure(tree: dict, levels: Mapping[str, float], removed=frozenset()) -> float:
    return _likelihood(tree, levels, {}, removed)


def _open_routes(node, levels, remaining, above: set, removed) -> tuple[float, bool]:
    """(expected open routes, whether a control not fully in place can lower them; judged
    on levels alone so that raising an answer never raises open routes), as specified:
    blocking mitigations only, each a full block 1 − level, once along a path; AND
    multiplies, OR adds, except an OR with a child at 1 no remaining control can lower."""
    if node["op"] == "or":
        parts = [_open_routes(c, levels, remaining, above, removed) for c in node["children"]]
        if any(value == 1.0 and not lowerable for value, lowerable in parts):
            return 1.0, False
        return sum(v for v, _ in parts), any(lowerable for _, lowerable in parts)
    leaves, ors = [], []
    _region(node, leaves, ors)
    value = 1.0
    blocking = set()
    for leaf in leaves:
        if _removed(leaf, removed) or leaf.get("p0", 1.0) == 0.0:
            value = 0.0
        for m in leaf.get("mitigations", []):
            if _effectiveness(m) >= BLOCKING and m["control"] not in above:
                blocking.add(m["control"])
    lowerable = False
    for control in blocking:
        value *= 1.0 - levels.get(control, 0.0)
        lowerable = lowerable or levels.get(control, 0.0) < 1.0
    for child in ors:
        v, low = _open_routes(child, levels, remaining, above | blocking, removed)
        value *= v
        lowerable = lowerable or low
    return value, lowerable and value > 0.0


def reference_open_routes(tree, levels, remaining, removed=frozenset()) -> float:
    return _open_routes(tree, levels, frozenset(remaining), set(), removed)[0]


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


def reference_levels(content: dict, answers: Mapping[str, str], audience: str, *, removed=None):
    """({control: level} for scoring, set of candidate controls for a plan). `removed`, a
    set, receives the controls whose answer removes their attack surface."""
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
            options = control.get("answers") or DEFAULT_SCALE
            scale = {a["key"]: a["level"] for a in options}
            key = answers.get(cid)
            if removed is not None and any(a["key"] == key and a.get("removes") for a in options):
                removed.add(cid)
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


def total_exposure(
    scenarios: list[dict], levels: Mapping[str, float], removed=frozenset()
) -> float:
    return sum(reference_exposure(s["tree"], levels, removed) for s in scenarios)


def total_open_routes(scenarios, levels, remaining, removed=frozenset()) -> float:
    return sum(reference_open_routes(s["tree"], levels, remaining, removed) for s in scenarios)


def reference_route_gains(content, scenarios, levels, candidates, removed=frozenset()) -> dict:
    """Open routes cut per effort of every single candidate, by brute force."""
    weights = {"low": 1.0, "medium": 2.0, "high": 4.0, **content.get("effort_weights", {})}
    effort = {c["id"]: weights[c["effort"]] for s in content["sections"] for c in s["controls"]}
    now = total_open_routes(scenarios, levels, candidates, removed)
    return {
        c: (now - total_open_routes(scenarios, {**levels, c: 1.0}, candidates - {c}, removed))
        / effort[c]
        for c in sorted(candidates)
    }


def reference_gains(
    content, scenarios, levels, candidates, removed=frozenset()
) -> tuple[dict, dict]:
    """Cut per effort of every single, and of every pair in which at least one control
    cuts nothing alone, by brute force."""
    weights = {"low": 1.0, "medium": 2.0, "high": 4.0, **content.get("effort_weights", {})}
    effort = {c["id"]: weights[c["effort"]] for s in content["sections"] for c in s["controls"]}
    now = total_exposure(scenarios, levels, removed)
    singles, zero = {}, []
    for c in sorted(candidates):
        cut = now - total_exposure(scenarios, {**levels, c: 1.0}, removed)
        singles[(c,)] = cut / effort[c]
        if cut <= 1e-12:
            zero.append(c)
    pairs = {}
    for a, b in itertools.combinations(sorted(candidates), 2):
        if a not in zero and b not in zero:
            continue
        cut = now - total_exposure(scenarios, {**levels, a: 1.0, b: 1.0}, removed)
        pairs[(a, b)] = cut / (effort[a] + effort[b])
    return singles, pairs
