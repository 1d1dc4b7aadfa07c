"""Per-control marginal cuts: how much one person's exposure would fall if they put one
control fully in place, everything else as they answered.

Pure Python, like the engine it calls (no Django, no I/O). It goes through the engine's
public `scenario_exposures` only (the exposures `evaluate` gives, computed the same way),
so whatever model the engine implements (common cause, `removes`, engine 2's open
routes) the cut is the engine's own answer to "what if this one control
were done?". The organisation plan (apps.compliance) sums these per control over people,
so it is a query over stored rows, not an engine run per person per page view.

A cut is the mean over the person's scenarios of (exposure now − exposure with the
control fully implemented), on the engine's 0..1 scale: averaging keeps one person's
weight the same whatever the number of scenarios their audience faces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from apps.scoring import engine

# Below this a cut is float noise, not a barrier.
CUT_EPSILON = 1e-9


@dataclass(frozen=True)
class ControlCut:
    control: str
    effort: str
    weight: float  # the pack's effort weight: the unit of "per effort"
    cut: float  # mean exposure cut over the person's scenarios, 0..1


def _full_answer(levels: Mapping[str, float | None]) -> str | None:
    """The answer key meaning "fully in place": the highest level (1.0 in every pack)."""
    best_key, best = None, None
    for key, level in levels.items():
        if level is None:
            continue
        if best is None or level > best:
            best_key, best = key, level
    return best_key


def _mean(exposures: list[float]) -> float:
    return sum(exposures) / len(exposures) if exposures else 0.0


def _mean_exposure(scenarios) -> float:
    return _mean([s.exposure for s in scenarios])


def _condition_refs(cond, out: set[int]) -> None:
    """The control positions a compiled `applies_if` reads."""
    op = cond[0]
    if op == "in":
        out.add(cond[1])
    elif op == "not":
        _condition_refs(cond[1], out)
    else:
        for inner in cond[1]:
            _condition_refs(inner, out)


def _influential(pack: engine.CompiledPack, audience: str) -> set[int]:
    """Positions of the controls whose answer can move an exposure for this audience: on
    one of its scenarios' trees (a mitigation, or a primary step an answer may remove),
    or read by some question's `applies_if` (raising it may show or hide others).

    Any other control cuts exactly 0: raising it changes no level, no removed surface and
    no visibility that the exposures are computed from, so the engine's arithmetic is the
    same step for step. Its row is kept (the person still lacks it), its evaluate skipped.
    """
    found: set[int] = set()
    for sc in pack.scenarios:
        if audience not in sc.audiences:
            continue
        found.update(sc.controls)
        found.update(sc.primary_groups)
        for group in sc.factors:
            found.update(control for control, _, _ in group)
    for control in pack.controls:
        if control.condition is not None:
            _condition_refs(control.condition, found)
    return found


def marginal_cuts(
    pack: engine.CompiledPack,
    answers: Mapping[str, str],
    audience: str,
    *,
    current: engine.ScoreResult | None = None,
) -> tuple[ControlCut, ...]:
    """One row per control that applies to this person and is not fully in place
    (unanswered and "unsure" included, "not applicable" and hidden ones not), in pack
    order, with the exposure it would cut on its own. A cut may be 0: the person still
    lacks the control, it just guards nothing left open for them.

    `current` is the result of these very answers, when the caller already has it.
    """
    if current is None:
        before = _mean_exposure(engine.scenario_exposures(pack, answers, audience))
    else:
        before = _mean_exposure(current.scenarios)
    visible = set(engine.visible_controls(pack, answers, audience))
    influential = _influential(pack, audience)
    lacking = []
    for control in pack.controls:
        if control.id not in visible:
            continue
        key = answers.get(control.id)
        full = _full_answer(control.levels)
        if full is None:
            continue
        if key is not None and key != "unsure":
            level = control.levels.get(key)
            if level is None or level >= control.levels[full]:
                continue  # not applicable, or already fully in place
        lacking.append(control)
    # Exposures only: the same numbers as `evaluate`, without routes and sections.
    after = engine.exposures_if_full(
        pack, answers, audience, [c.id for c in lacking if c.index in influential]
    )
    rows = []
    for control in lacking:
        exposures = after.get(control.id)
        cut = 0.0 if exposures is None else before - _mean(exposures)
        rows.append(
            ControlCut(
                control=control.id,
                effort=control.effort,
                weight=control.weight,
                cut=cut if cut > CUT_EPSILON else 0.0,
            )
        )
    return tuple(rows)
