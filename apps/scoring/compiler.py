"""Compiling a pack dict into flat, precomputed structures for the scoring engine.

Part of the pure engine (see `apps.scoring.engine`): no Django, no I/O.

Each attack tree is folded into two kinds of node:
- a *group*: a maximal AND region (or a lone leaf). Its value is
  ``Π p0(leaves) × Π_c f_c × Π value(child OR nodes)``. A control is one barrier
  (common cause) along any root-to-leaf path: it counts once there, at its strongest
  effectiveness. In its outermost group on a path ``f_c = 1 − e(c) × level(c)``, with
  e(c) its strongest effectiveness among the region's steps; deeper down it counts
  again only where it is stronger, by the ratio ``(1 − e × level) / (1 − e_outer ×
  level)``, so that the product along the path is that of its strongest barrier;
- an *OR* node: ``1 − Π(1 − value(child))``, a plain likelihood.
The same nodes carry the open routes (engine 2): blocking mitigations only, each a full
block ``1 − level``, counted once along a path; a group multiplies, an OR adds.
Nodes are numbered children first (post-order) in flat tuples, the root last, so a
tree is evaluated in one loop and a change to one control is re-evaluated along its
own paths only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

DEFAULT_EFFORT_WEIGHTS = MappingProxyType({"low": 1.0, "medium": 2.0, "high": 4.0})
DEFAULT_EFFECTIVENESS = MappingProxyType({"primary": 0.7, "supporting": 0.3})
DEFAULT_BANDS = MappingProxyType({"low": 0.0, "moderate": 0.25, "high": 0.5, "critical": 0.75})
DEFAULT_ANSWERS = (
    {"key": "yes", "label": "Yes", "level": 1.0},
    {"key": "partly", "label": "Partly", "level": 0.5},
    {"key": "no", "label": "No", "level": 0.0},
    {"key": "unsure", "label": "I'm not sure", "level": 0.0},
    {"key": "na", "label": "Does not apply to me", "level": "na"},
)
NOT_APPLICABLE = "na"
UNSURE = "unsure"

# A mitigation at least this effective "blocks" its step in the cut sets ("what would
# have stopped it"). Detection, response and supporting controls (about 0.3-0.5 in the
# packs) slow an attacker down; they are not what stops one.
BLOCKING_EFFECTIVENESS = 0.6
# Cut sets are explanations: larger ones are not enumerated.
MAX_CUT_SET_SIZE = 4
MAX_CUT_SETS_PER_NODE = 4000


class PackError(ValueError):
    """The pack dict cannot be compiled (the loader should have refused it)."""


# --- compiled pack ---------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledControl:
    index: int
    id: str
    title: str
    section: str
    audiences: frozenset[str]
    effort: str
    weight: float
    critical: bool
    levels: Mapping[str, float | None]  # answer key -> level; None for not applicable
    condition: tuple | None  # compiled applies_if
    removes: frozenset[str] = frozenset()  # answer keys that say the surface is absent


@dataclass(frozen=True)
class CompiledSection:
    id: str
    title: str
    controls: tuple[int, ...]


@dataclass(frozen=True)
class TreeNode:
    """A node of the original tree, kept for explanations (route, leaf likelihoods)."""

    id: str
    title: str
    op: str
    children: tuple[TreeNode, ...]
    p0: float
    mitigations: tuple[tuple[int, float], ...]  # (control index, effectiveness)
    folded: int  # index of the folded node rooted here, or -1 inside an AND region
    primary: frozenset[int] = frozenset()  # controls mitigating this step as primary


@dataclass(frozen=True)
class CompiledScenario:
    id: str
    title: str
    audiences: frozenset[str]
    bands: tuple[tuple[float, str], ...]  # ascending lower bounds
    tree: TreeNode
    # Folded nodes, children first; the root is the last one.
    is_group: tuple[bool, ...]
    base: tuple[float, ...]  # groups: product of the leaves' p0
    # groups: (control, strongest e in the region, strongest e in the groups above it on
    # the path, 0.0 if none); only where the first is the larger (common cause on a path)
    factors: tuple[tuple[tuple[int, float, float], ...], ...]
    children: tuple[tuple[int, ...], ...]  # groups: child OR nodes; OR: every child
    parents_top_down: tuple[int, ...]  # nodes with children, root first
    # For every control on this tree: the groups it sits in with its e there, and every
    # node whose value can change with it (children first).
    control_groups: Mapping[int, tuple[tuple[int, float, float], ...]]  # (group, e, e_outer)
    control_paths: Mapping[int, tuple[int, ...]]
    # The same paths as ready-made steps for one raised control:
    # (node, child ORs, (e, e_outer) of the control there or None) for a group,
    # (node, None, children) for an OR.
    control_ops: Mapping[int, tuple[tuple, ...]]
    # The controls able to lower each node's value.
    under: tuple[frozenset[int], ...]
    # For every control, per group it sits in: the routes beside that group's path (the
    # other children of each OR above it), each with whether the control lowers it too.
    # While such a route is certain (likelihood 1), the group's change stops at that OR.
    control_beside: Mapping[int, tuple[tuple[tuple[int, bool], ...], ...]]
    # Controls with two groups on different routes of one OR: together they can cut more
    # than the sum of what each group's change cuts alone. For every other control the
    # cut is at most that sum (products shrink less than the sum of their factors' falls).
    control_synergy: frozenset[int]
    cut_sets: tuple[frozenset[int], ...]  # minimal, smallest first, up to MAX_CUT_SET_SIZE
    controls: frozenset[int]
    # Open routes. Per group: 0.0 if a step of the region has p0 0, else 1.0; and the
    # blocking controls that count there (not already blocking in a group above).
    route_base: tuple[float, ...]
    route_factors: tuple[tuple[int, ...], ...]
    # For every control blocking somewhere: its groups, and its paths as ready-made steps
    # (node, child ORs, blocks here) for a group, (node, None, children) for an OR.
    route_groups: Mapping[int, tuple[int, ...]]
    route_ops: Mapping[int, tuple[tuple, ...]]
    # For every control: the groups holding a step it mitigates as primary (an answer
    # that removes the surface sets those steps, so those groups, to 0).
    primary_groups: Mapping[int, tuple[int, ...]]


@dataclass(frozen=True)
class CompiledPack:
    id: str
    version: str
    title: str
    audiences: tuple[str, ...]
    effort_weights: Mapping[str, float]
    controls: tuple[CompiledControl, ...]
    control_index: Mapping[str, int]
    sections: tuple[CompiledSection, ...]
    scenarios: tuple[CompiledScenario, ...]
    # The pack's `baseline_floor` band: while the baseline is not met, no scenario's band
    # is below it. None: no floor.
    band_floor: str | None = None


# --- compiling -------------------------------------------------------------------------


def compile_pack(content: dict) -> CompiledPack:
    """Compile a normalised pack dict (PACK_FORMAT.md) for fast, repeated evaluation.

    Defaults are applied where a field is missing, so a hand-built dict works too.
    Raises PackError on a structure the engine cannot score.
    """
    try:
        return _compile_pack(content)
    except (KeyError, TypeError, AttributeError) as exc:
        raise PackError(f"pack cannot be compiled: {exc!r}") from exc


def _compile_pack(content: dict) -> CompiledPack:
    audiences = tuple(content.get("audiences") or ())
    weights = dict(DEFAULT_EFFORT_WEIGHTS)
    weights.update({k: float(v) for k, v in (content.get("effort_weights") or {}).items()})
    controls: list[CompiledControl] = []
    sections: list[CompiledSection] = []
    index: dict[str, int] = {}
    for section in content.get("sections") or ():
        members = []
        for raw in section.get("controls") or ():
            control_id = raw["id"]
            if control_id in index:
                raise PackError(f"control {control_id} appears twice")
            position = len(controls)
            effort = raw.get("effort", "medium")
            if effort not in weights:
                raise PackError(f"{control_id}: unknown effort {effort!r}")
            controls.append(
                CompiledControl(
                    index=position,
                    id=control_id,
                    title=raw.get("title", control_id),
                    section=section["id"],
                    audiences=frozenset(raw.get("audiences") or audiences),
                    effort=effort,
                    weight=weights[effort],
                    critical=bool(raw.get("critical", False)),
                    levels=MappingProxyType(_answer_levels(control_id, raw.get("answers"))),
                    condition=_compile_condition(raw.get("applies_if"), index, control_id),
                    removes=_removing_keys(control_id, raw.get("answers")),
                )
            )
            index[control_id] = position
            members.append(position)
        sections.append(
            CompiledSection(
                id=section["id"], title=section.get("title", ""), controls=tuple(members)
            )
        )
    scenarios = tuple(
        _compile_scenario(raw, index, audiences) for raw in content.get("scenarios") or ()
    )
    return CompiledPack(
        id=content.get("id", ""),
        version=str(content.get("version", "")),
        title=content.get("title", ""),
        audiences=audiences,
        effort_weights=MappingProxyType(weights),
        controls=tuple(controls),
        control_index=MappingProxyType(index),
        sections=tuple(sections),
        scenarios=scenarios,
        band_floor=(content.get("baseline_floor") or {}).get("band") or None,
    )


def _answer_levels(control_id: str, answers) -> dict[str, float | None]:
    levels: dict[str, float | None] = {}
    for answer in answers or DEFAULT_ANSWERS:
        key, level = str(answer["key"]), answer.get("level")
        if key == UNSURE:
            levels[key] = 0.0  # always "not in place", flagged "find out"
        elif level == NOT_APPLICABLE:
            levels[key] = None
        else:
            level = float(level)
            if not 0.0 <= level <= 1.0:
                raise PackError(f"{control_id}: answer {key!r} has level {level} outside 0..1")
            levels[key] = level
    return levels


def _removing_keys(control_id: str, answers) -> frozenset[str]:
    keys = set()
    for answer in answers or ():
        if answer.get("removes"):
            if answer.get("level") in (None, NOT_APPLICABLE) or float(answer["level"]) != 1.0:
                raise PackError(
                    f"{control_id}: answer {answer['key']!r} removes, so its level must be 1"
                )
            keys.add(str(answer["key"]))
    return frozenset(keys)


def _compile_condition(cond, index: Mapping[str, int], owner: str) -> tuple | None:
    if cond is None:
        return None
    if "control" in cond:
        ref = cond["control"]
        if ref not in index:
            raise PackError(f"{owner}: applies_if refers to {ref!r}, not an earlier control")
        return ("in", index[ref], frozenset(str(k) for k in cond["in"]))
    if "not" in cond:
        return ("not", _compile_condition(cond["not"], index, owner))
    for op in ("all", "any"):
        if op in cond:
            return (op, tuple(_compile_condition(c, index, owner) for c in cond[op]))
    raise PackError(f"{owner}: unknown applies_if form {sorted(cond)}")


def _compile_scenario(raw: dict, index: Mapping[str, int], audiences) -> CompiledScenario:
    scenario_id = raw["id"]
    bands_raw = raw.get("bands") or DEFAULT_BANDS
    bands = tuple(sorted((float(v), k) for k, v in bands_raw.items()))
    folder = _Folder(scenario_id, index)
    tree = folder.fold(raw["tree"])
    folder.finish()
    control_paths = {c: folder.path_of(groups) for c, groups in folder.control_groups.items()}
    control_ops = {
        c: tuple(
            (node, tuple(folder.children[node]), folder.control_groups[c].get(node))
            if folder.is_group[node]
            else (node, None, tuple(folder.children[node]))
            for node in path
        )
        for c, path in control_paths.items()
    }
    route_ops = {
        c: tuple(
            (node, tuple(folder.children[node]), node in groups)
            if folder.is_group[node]
            else (node, None, tuple(folder.children[node]))
            for node in folder.path_of(groups)
        )
        for c, groups in folder.route_groups.items()
    }
    under = tuple(frozenset(u) for u in folder.controls_under)
    control_beside = {
        c: tuple(folder.beside(group, c, under) for group in sorted(groups))
        for c, groups in folder.control_groups.items()
    }
    return CompiledScenario(
        id=scenario_id,
        title=raw.get("title", scenario_id),
        audiences=frozenset(raw.get("audiences") or audiences),
        bands=bands,
        tree=tree,
        is_group=tuple(folder.is_group),
        base=tuple(folder.base),
        factors=tuple(tuple(f) for f in folder.factors),
        children=tuple(tuple(ch) for ch in folder.children),
        parents_top_down=tuple(
            n for n in range(len(folder.children) - 1, -1, -1) if folder.children[n]
        ),
        control_groups=MappingProxyType(
            {
                c: tuple((g, e, outer) for g, (e, outer) in sorted(groups.items()))
                for c, groups in sorted(folder.control_groups.items())
            }
        ),
        control_paths=MappingProxyType(control_paths),
        control_ops=MappingProxyType(control_ops),
        under=under,
        control_beside=MappingProxyType(control_beside),
        control_synergy=frozenset(
            c for c, groups in folder.control_groups.items() if folder.meet_at_or(groups)
        ),
        cut_sets=_cut_sets(tree),
        controls=frozenset(folder.control_groups),
        route_base=tuple(folder.route_base),
        route_factors=tuple(folder.route_factors),
        route_groups=MappingProxyType(
            {c: tuple(sorted(g)) for c, g in sorted(folder.route_groups.items())}
        ),
        route_ops=MappingProxyType(route_ops),
        primary_groups=MappingProxyType(
            {c: tuple(sorted(g)) for c, g in sorted(folder.primary_groups.items())}
        ),
    )


class _Folder:
    """Builds the folded node arrays of one tree (compile time only)."""

    def __init__(self, scenario_id: str, index: Mapping[str, int]):
        self.scenario_id = scenario_id
        self.index = index
        self.seen: set[str] = set()
        self.is_group: list[bool] = []
        self.base: list[float] = []
        self.raw_factors: list[dict[int, float]] = []
        self.children: list[list[int]] = []
        self.parent: list[int] = []
        self.primary: list[set[int]] = []
        self.impossible: list[int] = []  # groups with a step of p0 0
        # filled in by finish()
        self.factors: list[tuple[tuple[int, float, float], ...]] = []
        self.controls_under: list[set[int]] = []
        self.control_groups: dict[int, dict[int, tuple[float, float]]] = {}
        self.route_base: list[float] = []
        self.route_factors: list[tuple[int, ...]] = []
        self.route_groups: dict[int, set[int]] = {}
        self.primary_groups: dict[int, set[int]] = {}

    def _new(self, is_group: bool, base: float, factors: dict, children: list, primary=()) -> int:
        node = len(self.is_group)
        self.is_group.append(is_group)
        self.base.append(base)
        self.raw_factors.append(factors)
        self.children.append(children)
        self.parent.append(-1)
        self.primary.append(set(primary))
        for child in children:
            self.parent[child] = node
        return node

    def finish(self) -> None:
        """Common cause along a whole path: a control counts once along any root-to-leaf
        path, at its strongest. Works top-down (the root is the last node) with, for each
        node, the strongest effectiveness of every control in the groups above it."""
        count = len(self.is_group)
        above: list[dict[int, float]] = [{} for _ in range(count)]
        self.factors = [()] * count
        self.route_factors = [()] * count
        self.route_base = [1.0] * count
        for node in range(count - 1, -1, -1):
            outer = above[node]
            inner = outer
            if self.is_group[node]:
                kept, blocking = [], []
                inner = dict(outer)
                for control, e in sorted(self.raw_factors[node].items()):
                    e_outer = outer.get(control, 0.0)
                    if e > e_outer:
                        kept.append((control, e, e_outer))
                        inner[control] = e
                        self.control_groups.setdefault(control, {})[node] = (e, e_outer)
                    if e >= BLOCKING_EFFECTIVENESS and e_outer < BLOCKING_EFFECTIVENESS:
                        blocking.append(control)
                        self.route_groups.setdefault(control, set()).add(node)
                self.factors[node] = tuple(kept)
                self.route_factors[node] = tuple(blocking)
                self.route_base[node] = 0.0 if node in self.impossible else 1.0
                for control in self.primary[node]:
                    self.primary_groups.setdefault(control, set()).add(node)
            for child in self.children[node]:
                above[child] = inner
        self.controls_under = []
        for node in range(count):
            under = {c for c, _, _ in self.factors[node]}
            for child in self.children[node]:
                under |= self.controls_under[child]
            self.controls_under.append(under)

    def fold(self, raw: dict) -> TreeNode:
        """Fold `raw` (a node that starts a region: the root or a child of an OR)."""
        if raw.get("op") == "or":
            kids = tuple(self.fold(child) for child in self._children(raw))
            folded = self._new(False, 1.0, {}, [kid.folded for kid in kids])
            return self._node(raw, kids, folded)
        base, factors, or_children, primary = [1.0, False], {}, [], set()
        node = self._region(raw, base, factors, or_children, primary)
        folded = self._new(True, base[0], factors, or_children, primary)
        if base[1]:
            self.impossible.append(folded)
        return TreeNode(
            node.id,
            node.title,
            node.op,
            node.children,
            node.p0,
            node.mitigations,
            folded,
            node.primary,
        )

    def _region(
        self, raw: dict, base: list, factors: dict, or_children: list, primary: set
    ) -> TreeNode:
        op = raw.get("op")
        if op == "leaf":
            mitigations, leaf_primary = self._mitigations(raw)
            p0 = float(raw.get("p0", 1.0))
            if not 0.0 <= p0 <= 1.0:
                raise PackError(f"{self.scenario_id}/{raw['id']}: p0 {p0} outside 0..1")
            base[0] *= p0
            base[1] = base[1] or p0 == 0.0  # a step that cannot happen: no route here
            for control, e in mitigations:
                # common cause: one control is one barrier along an AND, at its strongest
                if e > 0:
                    factors[control] = max(e, factors.get(control, 0.0))
            primary |= leaf_primary
            return self._node(
                raw, (), -1, p0=p0, mitigations=mitigations, primary=frozenset(leaf_primary)
            )
        if op == "and":
            kids = tuple(
                self._region(child, base, factors, or_children, primary)
                for child in self._children(raw)
            )
            return self._node(raw, kids, -1)
        if op == "or":
            kid = self.fold(raw)
            or_children.append(kid.folded)
            return kid
        raise PackError(f"{self.scenario_id}/{raw.get('id')}: unknown op {op!r}")

    def _children(self, raw: dict) -> list[dict]:
        children = raw.get("children") or []
        if not children:
            raise PackError(f"{self.scenario_id}/{raw['id']}: an {raw['op']} node needs children")
        return children

    def _mitigations(self, raw: dict) -> tuple[tuple[tuple[int, float], ...], set[int]]:
        strongest: dict[int, float] = {}
        primary: set[int] = set()
        for mitigation in raw.get("mitigations") or ():
            control = mitigation["control"]
            if control not in self.index:
                raise PackError(f"{self.scenario_id}/{raw['id']}: unknown control {control!r}")
            e = mitigation.get("effectiveness")
            e = DEFAULT_EFFECTIVENESS[mitigation.get("role", "primary")] if e is None else float(e)
            if not 0.0 <= e <= 1.0:
                raise PackError(f"{self.scenario_id}/{raw['id']}: effectiveness {e} outside 0..1")
            position = self.index[control]
            strongest[position] = max(e, strongest.get(position, 0.0))
            if mitigation.get("role", "primary") == "primary":
                primary.add(position)
        return tuple(strongest.items()), primary

    def _node(self, raw, kids, folded, *, p0=1.0, mitigations=(), primary=frozenset()) -> TreeNode:
        node_id = str(raw["id"])
        if node_id in self.seen:
            raise PackError(f"{self.scenario_id}: node id {node_id} appears twice")
        self.seen.add(node_id)
        return TreeNode(
            node_id, raw.get("title", node_id), raw["op"], kids, p0, mitigations, folded, primary
        )

    def meet_at_or(self, groups) -> bool:
        """Do two of these nodes lie on different routes of one OR node?"""
        ancestors = []
        for node in groups:
            chain = []
            while node != -1:
                chain.append(node)
                node = self.parent[node]
            ancestors.append(set(chain))
        nodes = list(groups)
        for i, a in enumerate(nodes):
            for j in range(i + 1, len(nodes)):
                common = ancestors[i] & ancestors[j]
                lowest = min(common)  # post-order: the lowest common ancestor has the least number
                if not self.is_group[lowest] and lowest not in (a, nodes[j]):
                    return True
        return False

    def beside(self, group: int, control: int, under) -> tuple[tuple[int, bool], ...]:
        routes = []
        node, parent = group, self.parent[group]
        while parent != -1:
            if not self.is_group[parent]:
                routes.extend(
                    (sibling, control in under[sibling])
                    for sibling in self.children[parent]
                    if sibling != node
                )
            node, parent = parent, self.parent[parent]
        return tuple(routes)

    def path_of(self, groups: Mapping[int, float]) -> tuple[int, ...]:
        nodes: set[int] = set()
        for node in groups:
            while node != -1 and node not in nodes:
                nodes.add(node)
                node = self.parent[node]
        return tuple(sorted(nodes))  # post-order numbering: children before parents


def _cut_sets(tree: TreeNode) -> tuple[frozenset[int], ...]:
    """Minimal sets of controls that block every route (each blocking at least one step
    of it), smallest first, enumerated up to MAX_CUT_SET_SIZE controls."""
    sets = _node_cut_sets(tree)
    return tuple(sorted(sets, key=lambda s: (len(s), sorted(s))))


def _node_cut_sets(node: TreeNode) -> list[frozenset[int]]:
    if node.op == "leaf":
        return [frozenset((c,)) for c, e in node.mitigations if e >= BLOCKING_EFFECTIVENESS]
    child_sets = [_node_cut_sets(child) for child in node.children]
    if node.op == "and":  # blocking any one step blocks the whole AND
        return _minimal([s for sets in child_sets for s in sets])
    combined = [frozenset()]  # OR: every route must be blocked
    for sets in child_sets:
        combined = _minimal(
            [a | b for a in combined for b in sets if len(a | b) <= MAX_CUT_SET_SIZE]
        )
        if not combined:
            return []
    return combined


def _minimal(sets: list[frozenset[int]]) -> list[frozenset[int]]:
    ordered = sorted(set(sets), key=lambda s: (len(s), sorted(s)))
    kept: list[frozenset[int]] = []
    for candidate in ordered:
        if not any(k <= candidate for k in kept):
            kept.append(candidate)
            if len(kept) >= MAX_CUT_SETS_PER_NODE:
                break
    return kept
