"""Evaluating folded trees, incrementally, and the two-phase remediation plan.

Part of the pure engine (see `apps.scoring.engine`): no Django, no I/O. The hot loop
works on plain lists of floats and tuples prepared by `apps.scoring.compiler`.

Two quantities per tree: exposure (a likelihood) and open routes (the expected number
of attack routes no blocking control has closed yet). Phase 1 of the plan closes open
routes, phase 2 cuts exposure (see `remediation_plan`).
"""

from __future__ import annotations

from apps.scoring.compiler import CompiledScenario

# Exposure cuts at or below this are "nothing" (float noise, not a real barrier).
CUT_EPSILON = 1e-12
# Gains per effort closer than this are ties, broken by control id.
GAIN_TIE = 1e-12
# A route at least this likely is all but certain: a control below an OR beside it cuts
# (next to) nothing alone, so a partner closing that route is weighed with it. Any pair
# missed through a route below this cuts at most CUT_EPSILON / (1 - NEARLY_CERTAIN) more
# than its partner alone: 1e-9 of exposure, invisible at 6 decimals.
NEARLY_CERTAIN = 1.0 - 1e-3
# Open-route cuts at or below this are "nothing".
ROUTE_EPSILON = 1e-9

# --- evaluation ------------------------------------------------------------------------


def scenario_bases(sc: CompiledScenario, removed) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The groups' base likelihoods and open-route bases once the answers that remove an
    attack surface are applied: the groups holding a step that a removed control
    mitigates as primary drop to 0. `removed`: control indexes."""
    zero = {g for c in removed for g in sc.primary_groups.get(c, ())}
    if not zero:
        return sc.base, sc.route_base
    return (
        tuple(0.0 if g in zero else b for g, b in enumerate(sc.base)),
        tuple(0.0 if g in zero else b for g, b in enumerate(sc.route_base)),
    )


def _ratio(touched: tuple[float, float], level: float) -> float:
    """How a group's value scales when a control there goes from `level` to full: its
    factor (1 - e level) / (1 - e_outer level) becomes (1 - e) / (1 - e_outer)."""
    e, outer = touched
    if outer:
        return (1.0 - e) * (1.0 - outer * level) / ((1.0 - outer) * (1.0 - e * level))
    return (1.0 - e) / (1.0 - e * level)


def evaluate_nodes(
    sc: CompiledScenario, levels: list[float], base: tuple[float, ...] | None = None
) -> tuple[list[float], list[float]]:
    """Value of every folded node, and each group's own part (without child ORs).
    `base`: the groups' base likelihoods (default: the pack's, see `scenario_bases`)."""
    count = len(sc.is_group)
    values = [0.0] * count
    own = [1.0] * count
    is_group, factors, children = sc.is_group, sc.factors, sc.children
    if base is None:
        base = sc.base
    for node in range(count):
        if is_group[node]:
            v = base[node]
            for control, e, outer in factors[node]:
                level = levels[control]
                if outer:
                    v *= (1.0 - e * level) / (1.0 - outer * level)
                else:
                    v *= 1.0 - e * level
            own[node] = v
            for child in children[node]:
                v *= values[child]
        else:
            q = 1.0
            for child in children[node]:
                q *= 1.0 - values[child]
            v = 1.0 - q
        values[node] = v
    return values, own


def _root_with_one(values: list[float], own: list[float], ops: tuple, level: float) -> float:
    """Root value if one control (now at `level`) were fully in place. `ops` are the
    control's precompiled paths (CompiledScenario.control_ops): only they are recomputed."""
    changed = values[:]
    for node, kids, touched in ops:
        if kids is None:  # an OR node: `touched` holds its children
            q = 1.0
            for child in touched:
                q *= 1.0 - changed[child]
            changed[node] = 1.0 - q
            continue
        v = own[node]
        if touched is not None:  # the control's factor goes from `level` to full
            v *= _ratio(touched, level)
        for child in kids:
            v *= changed[child]
        changed[node] = v
    return changed[-1]


def _apply(changed: list[float], own: list[float], ops: tuple, level: float) -> None:
    """Raise one control (now at `level`) to full in `changed`/`own`, in place, along its
    precompiled paths: the state from which a pair's second control is weighed."""
    for node, kids, touched in ops:
        if kids is None:
            q = 1.0
            for child in touched:
                q *= 1.0 - changed[child]
            changed[node] = 1.0 - q
            continue
        v = own[node]
        if touched is not None:
            v *= _ratio(touched, level)
            own[node] = v
        for child in kids:
            v *= changed[child]
        changed[node] = v


def _sensitivities(sc: CompiledScenario, values: list[float], own: list[float]) -> list[float]:
    """d(root)/d(node value) for every folded node. The root is affine in any one node's
    value (all other nodes fixed), so a change confined to one group moves the root by
    exactly this slope times the change."""
    slope = [0.0] * len(values)
    slope[-1] = 1.0
    is_group, children = sc.is_group, sc.children
    for node in sc.parents_top_down:
        s = slope[node]
        if s == 0.0:
            continue  # a zero slope stays zero all the way down
        kids = children[node]
        if is_group[node]:
            # value = own x Π children: each child's slope is s x (value / its value)
            whole = values[node]
            for child in kids:
                v = values[child]
                if v != 0.0:
                    slope[child] = s * whole / v
                else:
                    rest = s * own[node]
                    for other in kids:
                        if other != child:
                            rest *= values[other]
                    slope[child] = rest
        else:
            # 1 - value = Π(1 - children): each child's slope is s x that / (1 - its value)
            open_part = 1.0 - values[node]
            for child in kids:
                v = 1.0 - values[child]
                if v != 0.0:
                    slope[child] = s * open_part / v
                else:
                    rest = s
                    for other in kids:
                        if other != child:
                            rest *= 1.0 - values[other]
                    slope[child] = rest
    return slope


# --- open routes -----------------------------------------------------------------------


def route_nodes(sc: CompiledScenario, levels, is_open, route_base=None):
    """Open routes at every folded node: (values, each group's own part, forced ORs).

    A group multiplies its base (0 where a step has p0 0 or its surface is removed), the
    blocking factors ``1 - level`` of its controls and its child ORs' values; an OR adds
    its children's values (the expected number of open routes), except that an OR with a
    child at exactly 1 that no control not fully in place (`is_open`) can lower is
    exactly 1: that child alone makes it certain.
    """
    count = len(sc.is_group)
    values = [0.0] * count
    own = [0.0] * count
    lowerable = [False] * count
    forced = [False] * count
    is_group, children, factors = sc.is_group, sc.children, sc.route_factors
    if route_base is None:
        route_base = sc.route_base
    for node in range(count):
        kids = children[node]
        if is_group[node]:
            v = route_base[node]
            low = False
            if v:
                for control in factors[node]:
                    v *= 1.0 - levels[control]
                    if is_open[control]:
                        low = True
            own[node] = v
            for child in kids:
                v *= values[child]
                if lowerable[child]:
                    low = True
            lowerable[node] = low and v > 0.0
        else:
            v = 0.0
            low = False
            for child in kids:
                child_value = values[child]
                if child_value == 1.0 and not lowerable[child]:
                    forced[node] = True
                    break
                v += child_value
                if lowerable[child]:
                    low = True
            if forced[node]:
                v, low = 1.0, False
            lowerable[node] = low
        values[node] = v
    return values, own, forced


def _route_slopes(sc: CompiledScenario, values, own, forced) -> list[float]:
    """d(root open routes)/d(node value): the root is affine in any one node's value
    (products and sums; a forced OR does not depend on its children)."""
    slope = [0.0] * len(values)
    slope[-1] = 1.0
    is_group, children = sc.is_group, sc.children
    for node in sc.parents_top_down:
        s = slope[node]
        if s == 0.0:
            continue
        kids = children[node]
        if is_group[node]:
            for child in kids:
                rest = s * own[node]
                for other in kids:
                    if other != child:
                        rest *= values[other]
                slope[child] = rest
        elif not forced[node]:
            for child in kids:
                slope[child] = s
    return slope


def _routes_with_one(values, own, forced, ops) -> float:
    """Root open routes if one control were fully in place (its blocking factors 0),
    recomputed along its precompiled paths (CompiledScenario.route_ops) only."""
    changed = values[:]
    for node, kids, blocks in ops:
        if kids is None:
            if not forced[node]:
                total = 0.0
                for child in blocks:
                    total += changed[child]
                changed[node] = total
            continue
        v = 0.0 if blocks else own[node]
        if v:
            for child in kids:
                v *= changed[child]
        changed[node] = v
    return changed[-1]


def _close_routes(scenarios, levels, remaining, weight, ids, states, route_bases):
    """Phase 1 (see `remediation_plan`). Leaves `levels` and `remaining` as they were,
    moves `states` (exposure) along the chosen controls, in place. Returns the steps and
    each scenario's open routes after them."""
    levels = list(levels)
    is_open = [level < 1.0 for level in levels]
    blockers = [c for c in remaining if any(c in sc.route_groups for sc in scenarios)]
    steps: list[tuple] = []
    steps_before: list[tuple[int, str, float]] = []  # the last step's scenarios, before it
    while True:
        routes = [
            route_nodes(sc, levels, is_open, route_bases[k]) for k, sc in enumerate(scenarios)
        ]
        now = [values[-1] for values, _, _ in routes]
        if steps:
            chosen, cuts, _ = steps[-1]
            steps[-1] = (
                chosen,
                cuts,
                {sid: (before, now[k]) for k, sid, before in steps_before},
            )
        if not blockers:
            break
        slopes = [_route_slopes(sc, *routes[k]) for k, sc in enumerate(scenarios)]
        gains = []
        for c in blockers:
            cut = 0.0
            for k, sc in enumerate(scenarios):
                groups = sc.route_groups.get(c)
                if groups is None:
                    continue
                values, own, forced = routes[k]
                if len(groups) == 1:
                    cut += slopes[k][groups[0]] * values[groups[0]]
                else:
                    cut += now[k] - _routes_with_one(values, own, forced, sc.route_ops[c])
            if cut > ROUTE_EPSILON:
                gains.append((cut / weight[c], c))
        # A control that cuts no open route now never will (raising others only closes
        # more routes), so it leaves phase 1 for good.
        blockers = [c for _, c in gains]
        if not gains:
            break
        top = max(g for g, _ in gains)
        tied = [c for g, c in gains if g >= top - GAIN_TIE]
        if len(tied) == 1:
            best = tied[0]
        else:
            best = _most_exposure_per_effort(scenarios, states, levels, tied, weight, ids)
        touched = [k for k, sc in enumerate(scenarios) if best in sc.controls]
        exposures = [values[-1] for values, _ in states]
        for k in touched:
            values, own = states[k][0][:], states[k][1][:]
            _apply(values, own, scenarios[k].control_ops[best], levels[best])
            states[k] = (values, own)
        steps_before = [(k, scenarios[k].id, now[k]) for k in touched]
        steps.append(
            ((best,), {scenarios[k].id: (exposures[k], states[k][0][-1]) for k in touched}, {})
        )
        levels[best] = 1.0
        is_open[best] = False
        blockers.remove(best)
    return steps, now


def _most_exposure_per_effort(scenarios, states, levels, candidates, weight, ids) -> int:
    """Of `candidates` (equal in open routes cut per effort), the one with the largest
    exposure cut per effort; then the smallest control id."""
    best, best_gain = None, -1.0
    for c in sorted(candidates, key=ids.__getitem__):
        cut = 0.0
        for k, sc in enumerate(scenarios):
            if c in sc.controls:
                values, own = states[k]
                cut += values[-1] - _root_with_one(values, own, sc.control_ops[c], levels[c])
        gain = cut / weight[c]
        if gain > best_gain + GAIN_TIE:
            best, best_gain = c, gain
    return best


# --- remediation plan ------------------------------------------------------------------


def remediation_plan(controls, scenarios, levels, applicable, bases=None, route_bases=None):
    """The two-phase plan (ARCHITECTURE.md §4).

    Phase 1 closes ways in: while a remaining control can cut the open routes (summed
    over the person's scenarios), take the single control with the largest cut in open
    routes per unit of effort (ties: exposure cut per effort, then control id).

    Phase 2 cuts exposure: at each step take the single control, or the pair of controls
    of which one cuts nothing alone (see `_pairs_to_weigh`), with the largest exposure
    cut (summed over the person's scenarios) per unit of effort; re-evaluate; stop when
    nothing cuts further (or, when only three or more controls together cut anything,
    see `_unblocking_step`).

    `controls` are the pack's compiled controls, `levels` the current level of each,
    `applicable` the indexes the person may be asked to change, `bases`/`route_bases`
    each scenario's group bases (`scenario_bases`; default the pack's). Returns
    ([(control indexes, {scenario id: (exposure before, after)},
    {scenario id: (open routes before, after)})], {scenario id: final exposure},
    {scenario id: final open routes}).
    Ties in gain per effort go to the smaller control id, so the plan is deterministic.
    """
    levels = list(levels)
    if bases is None:
        bases = [sc.base for sc in scenarios]
    if route_bases is None:
        route_bases = [sc.route_base for sc in scenarios]
    weight = [c.weight for c in controls]
    ids = [c.id for c in controls]
    remaining = sorted(
        (c for c in applicable if levels[c] < 1.0 and any(c in sc.controls for sc in scenarios)),
        key=ids.__getitem__,
    )
    states = [evaluate_nodes(sc, levels, bases[k]) for k, sc in enumerate(scenarios)]
    steps, routes_now = _close_routes(
        scenarios, levels, remaining, weight, ids, states, route_bases
    )
    for chosen, *_ in steps:
        for c in chosen:
            levels[c] = 1.0
            remaining.remove(c)
    more, after = _cut_exposure(
        scenarios, levels, remaining, weight, ids, states, bases, routes_now
    )
    steps += more
    is_open = [level < 1.0 for level in levels]
    routes_after = {
        sc.id: route_nodes(sc, levels, is_open, route_bases[k])[0][-1]
        for k, sc in enumerate(scenarios)
    }
    return steps, after, routes_after


def _cut_exposure(scenarios, levels, remaining, weight, ids, states, bases, routes_now):
    """Phase 2 (see `remediation_plan`), from `states` (moved along phase 1, in place).
    `routes_now`: each scenario's open routes, which no control left here can cut."""
    # Where each control sits, per scenario: the groups it is in, with each group's fall
    # (e(1 - level) / (1 - e level) of its value) when the control is raised to full, its
    # paths, and its reach: 1 - Π(1 - fall), the most it can cut of that exposure (the
    # root is affine in each group's value, with a non-negative intercept).
    placement = {}
    reach = {}
    for c in remaining:
        place = []
        level = levels[c]
        for k, sc in enumerate(scenarios):
            groups = sc.control_groups.get(c)
            if groups is None:
                continue
            falls = tuple((g, 1.0 - _ratio((e, outer), level)) for g, e, outer in groups)
            untouched = 1.0
            for _, fall in falls:
                untouched *= 1.0 - fall
            place.append(
                (
                    k,
                    falls,
                    sc.control_ops[c],
                    1.0 - untouched,
                    sc.control_beside[c],
                    c in sc.control_synergy,
                )
            )
        placement[c] = place
        reach[c] = max(p[3] for p in place)
    # Most controls sit in one group of one scenario: their cut is one multiplication.
    simple = {
        c: (place[0][0], place[0][1][0][0], place[0][1][0][1])
        for c, place in placement.items()
        if len(place) == 1 and len(place[0][1]) == 1
    }
    best_levels = list(levels)
    for c in remaining:
        best_levels[c] = 1.0
    floor = sum(evaluate_nodes(sc, best_levels, bases[k])[0][-1] for k, sc in enumerate(scenarios))
    steps: list[tuple] = []
    while remaining:
        exposures = [values[-1] for values, _ in states]
        total = sum(exposures)
        if total - floor <= CUT_EPSILON:
            break
        slopes = [_sensitivities(sc, v, o) for sc, (v, o) in zip(scenarios, states, strict=True)]
        best, best_gain, best_ids = None, 0.0, ()
        cut_of: dict[int, float] = {}  # exact cuts; an upper bound for those not weighed
        zero_gain = []
        deferred = []
        for c in remaining:
            entry = simple.get(c)
            if entry is not None:
                k, group, fall = entry
                cut = slopes[k][group] * states[k][0][group] * fall
                cut_of[c] = cut
                if cut <= CUT_EPSILON:
                    zero_gain.append(c)
                    continue
                gain = cut / weight[c]
                if gain > best_gain + GAIN_TIE or (
                    gain > best_gain - GAIN_TIE and (ids[c],) < best_ids
                ):
                    best, best_gain, best_ids = (c,), gain, (ids[c],)
                continue
            cut = 0.0  # exact so far
            bound = 0.0  # what the parts not computed exactly could cut at most
            for k, falls, ops, reach_k, beside, synergy in placement[c]:
                values, slope = states[k][0], slopes[k]
                if len(falls) == 1:
                    group, fall = falls[0]
                    cut += slope[group] * values[group] * fall
                    continue
                alone = strongest = 0.0  # what each group's change cuts alone: sum, max
                for g, fall in falls:
                    part = slope[g] * values[g] * fall
                    alone += part
                    if part > strongest:
                        strongest = part
                if strongest > CUT_EPSILON:
                    # surely cuts (at least what its strongest group cuts alone); at most
                    # that sum without synergy, at most exposure x reach with it
                    bound += exposures[k] * reach_k if synergy else alone
                elif alone == 0.0 and not synergy:
                    pass  # every group held (products shrink less than their factors)
                elif synergy and all(
                    any(values[r] >= 1.0 and not lowered for r, lowered in routes)
                    for routes in beside
                ):
                    pass  # every group below a certain route it does not lower: no cut
                else:
                    cut += exposures[k] - _root_with_one(values, states[k][1], ops, levels[c])
            if bound > 0.0:
                # Several groups: a path recomputation each, so weighed below, in order of
                # what they could cut at most, and only while that could still win.
                deferred.append((-(cut + bound) / weight[c], ids[c], c))
                continue
            cut_of[c] = cut
            if cut <= CUT_EPSILON:
                zero_gain.append(c)
                continue
            gain = cut / weight[c]
            if gain > best_gain + GAIN_TIE or (
                gain > best_gain - GAIN_TIE and (ids[c],) < best_ids
            ):
                best, best_gain, best_ids = (c,), gain, (ids[c],)
        deferred.sort()
        for negative_bound, _, c in deferred:
            if -negative_bound < best_gain - GAIN_TIE:
                cut_of[c] = -negative_bound * weight[c]
                continue
            cut = 0.0
            for k, _, ops, *_ in placement[c]:
                cut += exposures[k] - _root_with_one(states[k][0], states[k][1], ops, levels[c])
            cut_of[c] = cut
            if cut <= CUT_EPSILON:
                zero_gain.append(c)  # held by zeros, not only by certain routes
                continue
            gain = cut / weight[c]
            if gain > best_gain + GAIN_TIE or (
                gain > best_gain - GAIN_TIE and (ids[c],) < best_ids
            ):
                best, best_gain, best_ids = (c,), gain, (ids[c],)
        after_first: dict[tuple[int, int], tuple[list[float], list[float]]] = {}
        for a, b in _pairs_to_weigh(scenarios, states, zero_gain, remaining, ids):
            effort = weight[a] + weight[b]
            # cut(a + b) = cut(a) + what b cuts after a <= cut(a) + (total - cut(a)) reach(b)
            ua, ub = cut_of[a], cut_of[b]
            ua, ub = (ua if ua < total else total), (ub if ub < total else total)
            bound = ua + (total - ua) * reach[b]
            other = ub + (total - ub) * reach[a]
            if (other if other < bound else bound) < (best_gain - GAIN_TIE) * effort:
                continue
            cut = 0.0
            for k, sc in enumerate(scenarios):
                has_a, has_b = a in sc.controls, b in sc.controls
                if not (has_a or has_b):
                    continue
                values, own = states[k]
                if has_a and has_b:
                    # a's paths once per step, then b's from there: the pair's values
                    done = after_first.get((a, k))
                    if done is None:
                        done = after_first[(a, k)] = (values[:], own[:])
                        _apply(done[0], done[1], sc.control_ops[a], levels[a])
                    cut += exposures[k] - _root_with_one(
                        done[0], done[1], sc.control_ops[b], levels[b]
                    )
                else:
                    one = a if has_a else b
                    cut += exposures[k] - _root_with_one(
                        values, own, sc.control_ops[one], levels[one]
                    )
            if cut <= CUT_EPSILON:
                continue
            gain = cut / effort
            pair_ids = (ids[a], ids[b])
            if gain > best_gain + GAIN_TIE or (gain > best_gain - GAIN_TIE and pair_ids < best_ids):
                best, best_gain, best_ids = (a, b), gain, pair_ids
        if best is None:
            best = _unblocking_step(scenarios, levels, remaining, floor, weight, ids, bases)
        # Move the state along the chosen controls' paths only.
        moved = []
        for k, sc in enumerate(scenarios):
            values, own = states[k][0][:], states[k][1][:]
            for c in best:
                if c in sc.controls:
                    _apply(values, own, sc.control_ops[c], levels[c])
            moved.append((values, own))
        states = moved
        for c in best:
            levels[c] = 1.0
            remaining.remove(c)
        touched = [k for k, sc in enumerate(scenarios) if any(c in sc.controls for c in best)]
        cuts = {scenarios[k].id: (exposures[k], states[k][0][-1]) for k in touched}
        routes = {scenarios[k].id: (routes_now[k], routes_now[k]) for k in touched}
        steps.append((best, cuts, routes))
    # Reported from a fresh evaluation, not from the states moved step by step.
    return steps, {
        sc.id: evaluate_nodes(sc, levels, bases[k])[0][-1] for k, sc in enumerate(scenarios)
    }


def _pairs_to_weigh(scenarios, states, zero_gain, remaining, ids) -> list[tuple[int, int]]:
    """Pairs worth weighing: a control that cuts nothing on its own because routes beside
    it are certain (an OR above it has another child at likelihood 1: closing one route
    changes nothing), with a partner that lowers every such route on its way up
    (routes at NEARLY_CERTAIN or above count as certain).

    Only such pairs can cut more together than the partner alone, so no better pair is
    missed. The partner may cut a little on its own: a "partly" answer on a supporting
    control leaves a route at 0.9 rather than 1, and the pair that closes both (the ICO's
    patching + initial passwords) must still be weighed. Two controls that each cut
    nothing (two fully open routes) are among these pairs.
    """
    if not zero_gain:
        return []
    candidates = frozenset(remaining)
    pairs: set[tuple[int, int]] = set()
    for sc, (values, _) in zip(scenarios, states, strict=True):
        under = sc.under
        partners_here = candidates & sc.controls
        hot = [v >= NEARLY_CERTAIN for v in values]
        for z in zero_gain:
            for beside in sc.control_beside.get(z, ()):
                certain = [(r, lowered) for r, lowered in beside if hot[r]]
                if not certain:
                    continue  # nothing certain beside it: a partner cannot help here
                # The partner must lower the certain routes z does not lower itself; if z
                # lowers them all and still cuts nothing, its own effect on them is nil
                # (held deeper inside, or negligible), so the partner must lower them.
                blocking = [under[r] for r, lowered in certain if not lowered] or [
                    under[r] for r, _ in certain
                ]
                for c in partners_here.intersection(*blocking):
                    if c != z:
                        pairs.add((z, c) if ids[z] < ids[c] else (c, z))
    return sorted(pairs, key=lambda p: (ids[p[0]], ids[p[1]]))


def _unblocking_step(scenarios, levels, remaining, floor, weight, ids, bases) -> tuple[int]:
    """No single control or pair cuts anything, yet exposure is above what the remaining
    controls reach together (three or more fully open routes under one OR). Find a set
    that still reaches that floor, dropping the most expensive controls first, and take
    its cheapest member: the routes then close one by one."""
    needed = list(remaining)
    trial = list(levels)
    for c in remaining:
        trial[c] = 1.0
    for c in sorted(remaining, key=lambda c: (-weight[c], ids[c])):
        trial[c] = levels[c]
        total = sum(evaluate_nodes(sc, trial, bases[k])[0][-1] for k, sc in enumerate(scenarios))
        if total - floor > CUT_EPSILON:
            trial[c] = 1.0
        else:
            needed.remove(c)
    return (min(needed, key=lambda c: (weight[c], ids[c])),)
