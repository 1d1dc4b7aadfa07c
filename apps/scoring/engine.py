"""The scoring engine: answers + one pack version -> exposure, coverage and a plan.

Pure Python on purpose (ARCHITECTURE.md §4, CONVENTIONS.md): no Django, no I/O, no
mutable globals. Same pack + same answers -> the same `result_to_dict`, byte for byte.

Model
-----
A scenario is an attack tree. A leaf's residual likelihood is
``p0 × Π(1 − e × level)``; OR is ``1 − Π(1 − p)``; AND is ``Π p``. Each control is one
barrier (common cause): along any root-to-leaf path it counts once, at its strongest
effectiveness on that path.

Open routes (engine 2) are a second quantity on the same trees: the expected number of
attack routes that no blocking control (effectiveness >= BLOCKING_EFFECTIVENESS) has
closed. Blocking controls count as full blocks ``1 − level``; AND multiplies, OR adds,
except that an OR with a child at 1 that no control short of fully in place can lower is exactly 1.
The plan closes open routes first (phase 1), then cuts exposure (phase 2).

An answer marked `removes` (level 1) says the attack surface is absent: the steps that
control mitigates as primary drop to likelihood 0 (and close their routes).

The engine is three modules: `compiler` folds each tree into flat arrays once per pack
version, `planning` evaluates them (incrementally, for the greedy plan), and this
module is the public API: compile_pack, visible_controls, evaluate, result_to_dict.

`unsure` and unanswered count as level 0. `na` answers and hidden controls (wrong
audience, or an `applies_if` that is not true) leave every likelihood unchanged, which
is the same as level 0 for the tree, but they are excluded from coverage and never
proposed in a plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from apps.scoring.compiler import (
    UNSURE,
    CompiledPack,
    PackError,
    TreeNode,
    compile_pack,
)
from apps.scoring.planning import (
    _root_with_one,
    evaluate_nodes,
    remediation_plan,
    route_nodes,
    scenario_bases,
)

__all__ = [
    "ENGINE_VERSION",
    "AnswerError",
    "AudienceError",
    "CompiledPack",
    "PackError",
    "PlanStep",
    "RouteLeaf",
    "ScenarioExposure",
    "ScenarioResult",
    "ScoreResult",
    "SectionResult",
    "check_answers",
    "compile_pack",
    "evaluate",
    "exposures_if_full",
    "exposures_with_each_control",
    "result_to_dict",
    "scenario_exposures",
    "visible_controls",
]

ENGINE_VERSION = "2.0.0"

CUT_SETS_SHOWN = 5  # the smallest few "what would have stopped it" sets per scenario
OUTPUT_DECIMALS = 6  # result_to_dict rounds floats so output is byte-stable


class AnswerError(ValueError):
    """Answers name controls or answer keys the pack does not have."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class AudienceError(ValueError):
    """The audience is not one of the pack's audiences."""


# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RouteLeaf:
    node: str
    title: str
    p: float
    open_controls: tuple[str, ...]  # applicable controls on this step not fully in place


@dataclass(frozen=True)
class ScenarioResult:
    id: str
    title: str
    exposure: float
    score: int
    band: str
    route: tuple[RouteLeaf, ...]
    cut_sets: tuple[tuple[str, ...], ...]
    exposure_after_plan: float
    open_routes: float = 0.0  # expected number of ways in no blocking control has closed
    open_routes_after_plan: float = 0.0


@dataclass(frozen=True)
class SectionResult:
    id: str
    title: str
    coverage: float | None  # None when nothing in the section applies
    applicable: int
    answered: int


@dataclass(frozen=True)
class PlanStep:
    controls: tuple[str, ...]  # one control, or two that only cut exposure together
    title: str
    effort: float
    cuts: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    routes: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # open routes


@dataclass(frozen=True)
class ScoreResult:
    pack: str
    version: str
    engine_version: str
    audience: str
    scenarios: tuple[ScenarioResult, ...]
    sections: tuple[SectionResult, ...]
    baseline_met: bool
    critical_gaps: tuple[str, ...]
    find_out: tuple[str, ...]
    unanswered: tuple[str, ...]
    plan: tuple[PlanStep, ...]


# --- answers -> levels -----------------------------------------------------------------

_HIDDEN, _NA, _UNANSWERED, _UNSURE, _ANSWERED = range(5)
_APPLICABLE = (_UNANSWERED, _UNSURE, _ANSWERED)


def check_answers(pack: CompiledPack, answers: Mapping[str, str]) -> list[str]:
    """Problems with `answers` (unknown control ids, unknown answer keys), one per line."""
    problems = []
    for control_id in sorted(answers):
        position = pack.control_index.get(control_id)
        if position is None:
            problems.append(f"unknown control id {control_id!r}")
            continue
        key = answers[control_id]
        levels = pack.controls[position].levels
        if key not in levels:
            problems.append(
                f"unknown answer {key!r} for {control_id} (expected one of {', '.join(levels)})"
            )
    return problems


def _condition_holds(cond: tuple, status: list[int], answers: list[str | None]) -> bool | None:
    """Three-valued: None when the condition rests on an unanswered or hidden control."""
    op = cond[0]
    if op == "in":
        position = cond[1]
        if status[position] == _HIDDEN or answers[position] is None:
            return None
        return answers[position] in cond[2]
    if op == "not":
        inner = _condition_holds(cond[1], status, answers)
        return None if inner is None else not inner
    values = [_condition_holds(c, status, answers) for c in cond[1]]
    if op == "all":
        return False if False in values else (None if None in values else True)
    return True if True in values else (None if None in values else False)


def _resolve(pack: CompiledPack, answers: Mapping[str, str], audience: str):
    """Per control (document order): status and level for scoring; and the controls
    whose answer removes their attack surface."""
    if audience not in pack.audiences:
        raise AudienceError(
            f"audience {audience!r} is not one of {', '.join(pack.audiences)} in {pack.id}"
        )
    problems = check_answers(pack, answers)
    if problems:
        raise AnswerError(problems)
    count = len(pack.controls)
    status = [_HIDDEN] * count
    levels = [0.0] * count
    keys: list[str | None] = [None] * count
    removed = []
    for control in pack.controls:
        position = control.index
        if audience not in control.audiences:
            continue
        if (
            control.condition is not None
            and _condition_holds(control.condition, status, keys) is not True
        ):
            continue
        key = answers.get(control.id)
        keys[position] = key
        if key is None:
            status[position] = _UNANSWERED
        elif key == UNSURE:
            status[position] = _UNSURE
        else:
            level = control.levels[key]
            if level is None:
                status[position] = _NA
            else:
                status[position] = _ANSWERED
                levels[position] = level
                if key in control.removes:
                    removed.append(position)
    return status, levels, removed


def visible_controls(pack: CompiledPack, answers: Mapping[str, str], audience: str) -> list[str]:
    """Control ids shown to this person, in document order (audience, then applies_if;
    a condition on an unanswered or hidden control is not met)."""
    status, _, _ = _resolve(pack, answers, audience)
    return [c.id for c in pack.controls if status[c.index] != _HIDDEN]


def _band(bands: tuple[tuple[float, str], ...], exposure: float) -> str:
    name = bands[0][1]
    for lower, band in bands:
        if exposure >= lower:
            name = band
    return name


def _floored(bands: tuple[tuple[float, str], ...], band: str, floor: str | None) -> str:
    """`band`, or `floor` when that is the higher of the two in this scenario's bands."""
    order = [name for _, name in bands]
    if floor is None or floor not in order or band not in order:
        return band
    return floor if order.index(floor) > order.index(band) else band


def band_for(bands: dict[str, float], exposure: float) -> str:
    """The band of `exposure` under a pack scenario's `bands` (name -> lower bound), as the
    engine names it (for an exposure the engine did not band itself, e.g. after the plan)."""
    ordered = tuple(sorted((float(lower), name) for name, lower in bands.items()))
    return _band(ordered or ((0.0, "low"),), exposure)


def _leaf_likelihood(node: TreeNode, levels: list[float], removed) -> float:
    if removed and not removed.isdisjoint(node.primary):
        return 0.0
    p = node.p0
    for control, e in node.mitigations:
        p *= 1.0 - e * levels[control]
    return p


def _route(
    pack: CompiledPack, node: TreeNode, values, levels, status, removed, out: list[RouteLeaf]
) -> None:
    if node.op == "leaf":
        open_controls = tuple(
            pack.controls[c].id
            for c, _ in node.mitigations
            if status[c] in (_UNANSWERED, _UNSURE, _ANSWERED) and levels[c] < 1.0
        )
        p = _leaf_likelihood(node, levels, removed)
        out.append(RouteLeaf(node.id, node.title, p, open_controls))
    elif node.op == "and":
        for child in node.children:
            _route(pack, child, values, levels, status, removed, out)
    else:
        riskiest = node.children[0]
        for child in node.children[1:]:
            if values[child.folded] > values[riskiest.folded]:
                riskiest = child
        _route(pack, riskiest, values, levels, status, removed, out)


@dataclass(frozen=True)
class ScenarioExposure:
    """One scenario's exposure, score and band: what `evaluate` says, and nothing else."""

    id: str
    title: str
    exposure: float
    score: int
    band: str


def _has_critical_gap(pack: CompiledPack, status: list[int], levels: list[float]) -> bool:
    return any(
        c.critical and status[c.index] in _APPLICABLE and levels[c.index] < 1.0
        for c in pack.controls
    )


def _exposures(pack: CompiledPack, audience: str, levels: list[float], removed) -> list[float]:
    return [
        evaluate_nodes(sc, levels, scenario_bases(sc, removed)[0])[0][-1]
        for sc in pack.scenarios
        if audience in sc.audiences
    ]


def exposures_if_full(
    pack: CompiledPack, answers: Mapping[str, str], audience: str, controls: list[str]
) -> dict[str, list[float]]:
    """For each control id in `controls` (each shown to this person): the audience's
    scenario exposures, in pack order, if that control alone were answered at its highest
    level, everything else as answered. Bit for bit what `scenario_exposures` gives for
    the changed answers (the same `evaluate_nodes` on the same levels); a control that no
    `applies_if` reads changes nothing but its own level and removed surface, so the
    answers are resolved once rather than once per control. Raises as `evaluate` does."""
    status, levels, removed_list = _resolve(pack, answers, audience)
    removed = frozenset(removed_list)
    read_by_conditions: set[int] = set()
    for control in pack.controls:
        if control.condition is not None:
            _condition_positions(control.condition, read_by_conditions)
    out: dict[str, list[float]] = {}
    for control_id in controls:
        control = pack.controls[pack.control_index[control_id]]
        full = _highest_answer(control.levels)
        if full is None:
            raise AnswerError([f"{control_id} has no level to raise it to"])
        if control.index in read_by_conditions or status[control.index] not in _APPLICABLE:
            # Its answer may show or hide others (or it is not shown): resolve afresh.
            changed = {**answers, control_id: full}
            out[control_id] = [s.exposure for s in scenario_exposures(pack, changed, audience)]
            continue
        raised = list(levels)
        raised[control.index] = control.levels[full]
        # Its surface is removed exactly when the new answer says so, whatever the old.
        now_removed = removed - {control.index}
        if full in control.removes:
            now_removed = now_removed | {control.index}
        out[control_id] = _exposures(pack, audience, raised, now_removed)
    return out


def _condition_positions(cond: tuple, out: set[int]) -> None:
    """The control positions a compiled `applies_if` reads."""
    if cond[0] == "in":
        out.add(cond[1])
    elif cond[0] == "not":
        _condition_positions(cond[1], out)
    else:
        for inner in cond[1]:
            _condition_positions(inner, out)


def _highest_answer(levels: Mapping[str, float | None]) -> str | None:
    """The answer key meaning "fully in place": the first with the highest level."""
    best_key, best = None, None
    for key, level in levels.items():
        if level is None:
            continue
        if best is None or level > best:
            best_key, best = key, level
    return best_key


def scenario_exposures(
    pack: CompiledPack, answers: Mapping[str, str], audience: str
) -> tuple[ScenarioExposure, ...]:
    """Each of the audience's scenarios' exposure, score and band, exactly as `evaluate`
    computes them (same steps, same arithmetic), without the routes, cut sets, sections
    and plan that `evaluate` also builds. For callers that need the numbers only and run
    the engine many times (the live panel's before -> after, the marginal cuts).
    Raises as `evaluate` does."""
    status, levels, removed_list = _resolve(pack, answers, audience)
    removed = frozenset(removed_list)
    floor = pack.band_floor if _has_critical_gap(pack, status, levels) else None
    out = []
    for sc in pack.scenarios:
        if audience not in sc.audiences:
            continue
        values, _ = evaluate_nodes(sc, levels, scenario_bases(sc, removed)[0])
        exposure = values[-1]
        out.append(
            ScenarioExposure(
                id=sc.id,
                title=sc.title,
                exposure=exposure,
                score=int(exposure * 100.0 + 0.5),
                band=_floored(sc.bands, _band(sc.bands, exposure), floor),
            )
        )
    return tuple(out)


def evaluate(
    pack: CompiledPack, answers: Mapping[str, str], audience: str, *, with_plan: bool = True
) -> ScoreResult:
    """Score one person's answers against a compiled pack.

    Raises AudienceError for an audience the pack does not have and AnswerError for
    unknown control ids or answer keys. Missing answers count as unanswered (level 0).
    """
    status, levels, removed_list = _resolve(pack, answers, audience)
    removed = frozenset(removed_list)
    applicable = frozenset(
        i for i, s in enumerate(status) if s in (_UNANSWERED, _UNSURE, _ANSWERED)
    )
    scenarios = [sc for sc in pack.scenarios if audience in sc.audiences]
    bases = [scenario_bases(sc, removed) for sc in scenarios]
    plan: tuple[PlanStep, ...] = ()
    after: dict[str, float] = {}
    routes_after: dict[str, float] = {}
    if with_plan:
        raw_plan, after, routes_after = remediation_plan(
            pack.controls,
            scenarios,
            levels,
            applicable,
            [b for b, _ in bases],
            [r for _, r in bases],
        )
        plan = tuple(
            PlanStep(
                controls=tuple(pack.controls[c].id for c in chosen),
                title=" + ".join(pack.controls[c].title for c in chosen),
                effort=sum(pack.controls[c].weight for c in chosen),
                cuts=MappingProxyType(cuts),
                routes=MappingProxyType(routes),
            )
            for chosen, cuts, routes in raw_plan
        )

    critical_gaps = tuple(
        c.id
        for c in pack.controls
        if c.critical and c.index in applicable and levels[c.index] < 1.0
    )
    # A pack may say that, whatever the exposure, an unmet baseline never reads below a
    # band (the Electoral Commission's own 2021 failures must not read as "moderate").
    floor = pack.band_floor if critical_gaps else None
    # "Can lower" is judged on levels alone (any control not fully in place), not on
    # which controls the plan may still use: otherwise an answer moving from "na" to
    # "partly" lowers a route and lifts the OR trap at once, raising open routes (1 -> 1.5).
    is_open = [level < 1.0 for level in levels]
    scenario_results = []
    for sc, (base, route_base) in zip(scenarios, bases, strict=True):
        values, _ = evaluate_nodes(sc, levels, base)
        exposure = values[-1]
        open_routes = route_nodes(sc, levels, is_open, route_base)[0][-1]
        route: list[RouteLeaf] = []
        _route(pack, sc.tree, values, levels, status, removed, route)
        cut_sets = []
        for cut in sc.cut_sets:
            if cut <= applicable:
                cut_sets.append(tuple(sorted(pack.controls[c].id for c in cut)))
                if len(cut_sets) == CUT_SETS_SHOWN:
                    break
        scenario_results.append(
            ScenarioResult(
                id=sc.id,
                title=sc.title,
                exposure=exposure,
                score=int(exposure * 100.0 + 0.5),
                band=_floored(sc.bands, _band(sc.bands, exposure), floor),
                route=tuple(route),
                cut_sets=tuple(cut_sets),
                exposure_after_plan=after.get(sc.id, exposure),
                open_routes=open_routes,
                open_routes_after_plan=routes_after.get(sc.id, open_routes),
            )
        )

    sections = []
    for section in pack.sections:
        counted = [c for c in section.controls if c in applicable]
        answered = sum(1 for c in counted if status[c] != _UNANSWERED)
        coverage = sum(levels[c] for c in counted) / len(counted) if counted else None
        sections.append(SectionResult(section.id, section.title, coverage, len(counted), answered))

    return ScoreResult(
        pack=pack.id,
        version=pack.version,
        engine_version=ENGINE_VERSION,
        audience=audience,
        scenarios=tuple(scenario_results),
        sections=tuple(sections),
        baseline_met=not critical_gaps,
        critical_gaps=critical_gaps,
        find_out=tuple(c.id for c in pack.controls if status[c.index] == _UNSURE),
        unanswered=tuple(c.id for c in pack.controls if status[c.index] == _UNANSWERED),
        plan=plan,
    )


# --- output ----------------------------------------------------------------------------


def _r(value: float) -> float:
    return round(value, OUTPUT_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else _r(value)


def result_to_dict(result: ScoreResult) -> dict:
    """A JSON-serialisable dict with a fixed key order and floats rounded to 6 decimals,
    so the same result serialises to the same bytes in every run."""
    return {
        "pack": result.pack,
        "version": result.version,
        "engine_version": result.engine_version,
        "audience": result.audience,
        "scenarios": [
            {
                "id": s.id,
                "title": s.title,
                "exposure": _r(s.exposure),
                "score": s.score,
                "band": s.band,
                "route": [
                    {
                        "node": leaf.node,
                        "title": leaf.title,
                        "p": _r(leaf.p),
                        "controls": list(leaf.open_controls),
                    }
                    for leaf in s.route
                ],
                "cut_sets": [list(cut) for cut in s.cut_sets],
                "exposure_after_plan": _r(s.exposure_after_plan),
                "open_routes": _number(_r(s.open_routes)),
                "open_routes_after_plan": _number(_r(s.open_routes_after_plan)),
            }
            for s in result.scenarios
        ],
        "sections": [
            {
                "id": s.id,
                "title": s.title,
                "coverage": None if s.coverage is None else _r(s.coverage),
                "applicable": s.applicable,
                "answered": s.answered,
            }
            for s in result.sections
        ],
        "baseline_met": result.baseline_met,
        "critical_gaps": list(result.critical_gaps),
        "find_out": list(result.find_out),
        "unanswered": list(result.unanswered),
        "plan": [
            {
                "controls": list(step.controls),
                "title": step.title,
                "effort": _number(step.effort),
                "cuts": {sid: [_r(b), _r(a)] for sid, (b, a) in step.cuts.items()},
                "routes": {
                    sid: [_number(_r(b)), _number(_r(a))] for sid, (b, a) in step.routes.items()
                },
            }
            for step in result.plan
        ],
    }


def exposures_with_each_control(
    pack: CompiledPack, answers: Mapping[str, str], audience: str
) -> dict[str, dict[str, float]]:
    """{control id: {scenario id: exposure if that one control were fully in place}}, for
    every control the person could still raise (applicable, below full, on one of their
    scenarios' trees); everything else as answered. The marginal value of each control
    on its own (e.g. per-person cuts for the compliance dashboards): the cut is the
    scenario's current exposure minus this. Pure; one path recomputation per control."""
    status, levels, removed = _resolve(pack, answers, audience)
    scenarios = [sc for sc in pack.scenarios if audience in sc.audiences]
    states = [
        evaluate_nodes(sc, levels, scenario_bases(sc, frozenset(removed))[0]) for sc in scenarios
    ]
    out: dict[str, dict[str, float]] = {}
    for control in pack.controls:
        c = control.index
        if status[c] not in (_UNANSWERED, _UNSURE, _ANSWERED) or levels[c] >= 1.0:
            continue
        row = {}
        for sc, (values, own) in zip(scenarios, states, strict=True):
            ops = sc.control_ops.get(c)
            row[sc.id] = values[-1] if ops is None else _root_with_one(values, own, ops, levels[c])
        if any(c in sc.controls for sc in scenarios):
            out[control.id] = row
    return out
