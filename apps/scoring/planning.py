"""Evaluating folded trees, incrementally, and the greedy remediation plan.

Part of the pure engine (see `apps.scoring.engine`): no Django, no I/O. The hot loop
works on plain lists of floats and tuples prepared by `apps.scoring.compiler`.
"""

from __future__ import annotations

from apps.scoring.compiler import CompiledScenario

# Exposure cuts at or below this are "nothing" (float noise, not a real barrier).
CUT_EPSILON = 1e-12
# Gains per effort equal to this many decimals are ties, broken by control id.
GAIN_DECIMALS = 12

# --- evaluation ------------------------------------------------------------------------


def evaluate_nodes(sc: CompiledScenario, levels: list[float]) -> tuple[list[float], list[float]]:
    """Value of every folded node, and each group's own part (without child ORs)."""
    count = len(sc.is_group)
    values = [0.0] * count
    own = [1.0] * count
    is_group, base, factors, children = sc.is_group, sc.base, sc.factors, sc.children
    for node in range(count):
        if is_group[node]:
            v = base[node]
            for control, e in factors[node]:
                v *= 1.0 - e * levels[control]
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
        if touched:  # the control's factor (1 - e * level) becomes (1 - e)
            v = v * (1.0 - touched) / (1.0 - touched * level)
        for child in kids:
            v *= changed[child]
        changed[node] = v
    return changed[-1]


def _root_with_many(values: list[float], own: list[float], ops: list, levels: list[float]) -> float:
    """Root value if several controls were fully in place (ops from `_merged_ops`)."""
    changed = values[:]
    for node, kids, touched in ops:
        if kids is None:
            q = 1.0
            for child in touched:
                q *= 1.0 - changed[child]
            changed[node] = 1.0 - q
            continue
        v = own[node]
        for control, e in touched:
            v = v * (1.0 - e) / (1.0 - e * levels[control])
        for child in kids:
            v *= changed[child]
        changed[node] = v
    return changed[-1]


def _merged_ops(sc: CompiledScenario, raised) -> list:
    groups: dict[int, list[tuple[int, float]]] = {}
    nodes: set[int] = set()
    for control in raised:
        if control in sc.control_paths:
            nodes.update(sc.control_paths[control])
            for group, e in sc.control_groups[control]:
                groups.setdefault(group, []).append((control, e))
    ops = []
    for node in sorted(nodes):
        if sc.is_group[node]:
            ops.append((node, sc.children[node], tuple(groups.get(node, ()))))
        else:
            ops.append((node, None, sc.children[node]))
    return ops


def _sensitivities(sc: CompiledScenario, values: list[float], own: list[float]) -> list[float]:
    """d(root)/d(node value) for every folded node. The root is affine in any one node's
    value (all other nodes fixed), so a change confined to one group moves the root by
    exactly this slope times the change."""
    count = len(values)
    slope = [0.0] * count
    slope[-1] = 1.0
    is_group, children = sc.is_group, sc.children
    for node in range(count - 1, -1, -1):
        kids = children[node]
        s = slope[node]
        if not kids or s == 0.0:
            continue  # a zero slope stays zero all the way down
        if is_group[node]:
            if len(kids) == 1:
                slope[kids[0]] = s * own[node]
                continue
            for child in kids:
                rest = s * own[node]
                for other in kids:
                    if other != child:
                        rest *= values[other]
                slope[child] = rest
        else:
            if len(kids) == 1:
                slope[kids[0]] = s
                continue
            for child in kids:
                rest = s
                for other in kids:
                    if other != child:
                        rest *= 1.0 - values[other]
                slope[child] = rest
    return slope


# --- remediation plan ------------------------------------------------------------------


def remediation_plan(controls, scenarios, levels, applicable):
    """Greedy plan: at each step take the single control, or the pair of controls that
    cut nothing alone, with the largest exposure cut (summed over the person's
    scenarios) per unit of effort; re-evaluate; stop when nothing cuts further (or,
    when only three or more controls together cut anything, see `_unblocking_step`).

    `controls` are the pack's compiled controls, `levels` the current level of each,
    `applicable` the indexes the person may be asked to change. Returns
    ([(control indexes, {scenario id: (before, after)})], {scenario id: final exposure}).
    Ties in gain per effort go to the smaller control id, so the plan is deterministic.
    """
    levels = list(levels)
    weight = [c.weight for c in controls]
    ids = [c.id for c in controls]
    remaining = sorted(
        (c for c in applicable if levels[c] < 1.0 and any(c in sc.controls for sc in scenarios)),
        key=ids.__getitem__,
    )
    # Where each control sits, per scenario: one group (its cut is slope x change there)
    # or several (its paths are recomputed).
    placement = {}
    for c in remaining:
        place = []
        for k, sc in enumerate(scenarios):
            groups = sc.control_groups.get(c)
            if groups is None:
                continue
            if len(groups) == 1:
                place.append((k, groups[0][0], groups[0][1], None))
            else:
                place.append((k, -1, 0.0, sc.control_ops[c]))
        placement[c] = place
    best_levels = list(levels)
    for c in remaining:
        best_levels[c] = 1.0
    floor = sum(evaluate_nodes(sc, best_levels)[0][-1] for sc in scenarios)

    pair_ops: dict[tuple[int, int], list] = {}
    states = [evaluate_nodes(sc, levels) for sc in scenarios]
    steps: list[tuple[tuple[int, ...], dict[str, tuple[float, float]]]] = []
    while remaining:
        exposures = [values[-1] for values, _ in states]
        if sum(exposures) - floor <= CUT_EPSILON:
            break
        slopes = [_sensitivities(sc, v, o) for sc, (v, o) in zip(scenarios, states, strict=True)]
        best, best_gain, best_ids = None, 0.0, ()
        zero_gain = []
        for c in remaining:
            cut = 0.0
            level = levels[c]
            for k, group, e, ops in placement[c]:
                values, own = states[k]
                if ops is None:
                    # the group's value falls by the factor (1 - e) / (1 - e * level)
                    cut += slopes[k][group] * values[group] * e * (1.0 - level) / (1.0 - e * level)
                else:
                    cut += exposures[k] - _root_with_one(values, own, ops, level)
            if cut <= CUT_EPSILON:
                zero_gain.append(c)
                continue
            gain = round(cut / weight[c], GAIN_DECIMALS)
            if gain > best_gain or (gain == best_gain and (ids[c],) < best_ids):
                best, best_gain, best_ids = (c,), gain, (ids[c],)
        for pair in _pairs_to_weigh(scenarios, states, zero_gain, remaining, ids):
            per_scenario = pair_ops.get(pair)
            if per_scenario is None:
                per_scenario = pair_ops[pair] = [
                    (k, _merged_ops(sc, pair))
                    for k, sc in enumerate(scenarios)
                    if pair[0] in sc.controls or pair[1] in sc.controls
                ]
            cut = 0.0
            for k, ops in per_scenario:
                values, own = states[k]
                cut += exposures[k] - _root_with_many(values, own, ops, levels)
            if cut <= CUT_EPSILON:
                continue
            gain = round(cut / (weight[pair[0]] + weight[pair[1]]), GAIN_DECIMALS)
            pair_ids = (ids[pair[0]], ids[pair[1]])
            if gain > best_gain or (gain == best_gain and pair_ids < best_ids):
                best, best_gain, best_ids = pair, gain, pair_ids
        if best is None:
            best = _unblocking_step(scenarios, levels, remaining, floor, weight, ids)
        for c in best:
            levels[c] = 1.0
            remaining.remove(c)
        states = [evaluate_nodes(sc, levels) for sc in scenarios]
        cuts = {
            sc.id: (exposures[k], states[k][0][-1])
            for k, sc in enumerate(scenarios)
            if any(c in sc.controls for c in best)
        }
        steps.append((best, cuts))
    return steps, {sc.id: states[k][0][-1] for k, sc in enumerate(scenarios)}


def _pairs_to_weigh(scenarios, states, zero_gain, remaining, ids) -> list[tuple[int, int]]:
    """Pairs worth weighing: a control that cuts nothing on its own because, at some OR
    above it, another route is fully open (likelihood 1), together with a control that
    lowers every such open route it does not lower itself.

    The partner may cut a little on its own: a "partly" answer on a supporting control
    leaves a route at 0.9 rather than 1, and the pair that closes both routes (the
    ICO's patching + initial passwords) must still be weighed. Pairs of two zero-gain
    controls (two fully open routes) are among these.
    """
    if not zero_gain:
        return []
    zero = frozenset(zero_gain)
    candidates = frozenset(remaining)
    pairs: set[tuple[int, int]] = set()
    for sc, (values, _) in zip(scenarios, states, strict=True):
        blocked_here = zero & sc.controls
        if not blocked_here:
            continue
        partners_here = candidates & sc.controls
        children = sc.children
        for node, routes in sc.or_routes:
            kids = children[node]
            open_routes = [i for i, kid in enumerate(kids) if values[kid] >= 1.0]
            if not open_routes:
                continue
            for i, route in enumerate(routes):
                for z in route & blocked_here:
                    uncovered = [routes[j] for j in open_routes if j != i and z not in routes[j]]
                    if not uncovered:
                        continue
                    for c in frozenset.intersection(*uncovered) & partners_here:
                        if c != z:
                            pairs.add((z, c) if ids[z] < ids[c] else (c, z))
    return sorted(pairs, key=lambda p: (ids[p[0]], ids[p[1]]))


def _unblocking_step(scenarios, levels, remaining, floor, weight, ids) -> tuple[int]:
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
        if sum(evaluate_nodes(sc, trial)[0][-1] for sc in scenarios) - floor > CUT_EPSILON:
            trial[c] = 1.0
        else:
            needed.remove(c)
    return (min(needed, key=lambda c: (weight[c], ids[c])),)
