"""Properties of the engine (ARCHITECTURE.md §4), on random trees and on the real packs.

- exposure stays in [0, 1] and equals a naive evaluation written from the spec (common
  cause along a whole path; answers that remove an attack surface), and so do the open
  routes;
- raising any answer's level never raises any exposure, nor any open routes;
- the plan never proposes an implemented, inapplicable, hidden or `na` control;
- following the plan gives the minimum reachable exposure (every candidate in place),
  including when routes are fully open side by side under an OR;
- open routes never rise along the plan, and reach their minimum;
- every phase-1 step is the single with the largest open-routes cut per effort, every
  phase-2 step the best exposure single or pair in which a control cuts nothing alone,
  by brute force;
- the result is the same across runs and across PYTHONHASHSEED values.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.scoring.engine import (
    compile_pack,
    evaluate,
    exposures_if_full,
    result_to_dict,
    scenario_exposures,
    visible_controls,
)
from tests.scoring.builders import AND, OR, control, leaf, pack, scenario
from tests.scoring.packs import all_pack_contents
from tests.scoring.reference import (
    ALL_FULL_TOLERANCE,
    person_scenarios,
    reference_exposure,
    reference_gains,
    reference_levels,
    reference_open_routes,
    reference_route_gains,
    total_exposure,
)

ROOT = Path(__file__).resolve().parents[2]
LEVEL = {"yes": 1.0, "partly": 0.5, "no": 0.0, "unsure": 0.0, None: 0.0}
ANSWER_CHOICES = ["yes", "partly", "no", "unsure", "na", None]
# A control whose surface may be absent ("no home router of my own").
REMOVING_SCALE = [
    {"key": "yes", "label": "Yes", "level": 1.0},
    {"key": "partly", "label": "Partly", "level": 0.5},
    {"key": "no", "label": "No", "level": 0.0},
    {"key": "unsure", "label": "Not sure", "level": 0.0},
    {"key": "na", "label": "Does not apply", "level": "na"},
    {"key": "absent", "label": "I have none", "level": 1.0, "removes": True},
]
EFFECTIVENESS = st.sampled_from([0.3, 0.5, 0.9, 1.0]) | st.floats(0.0, 1.0)
P0 = st.sampled_from([1.0, 1.0, 1.0, 0.9, 0.5]) | st.floats(0.0, 1.0)
REAL_PACKS = all_pack_contents()
COMPILED_REAL = {name: compile_pack(content) for name, content in REAL_PACKS.items()}

# --- random packs -----------------------------------------------------------------------


@st.composite
def _condition(draw, gates):
    atom = {
        "control": draw(st.sampled_from(gates)),
        "in": draw(st.sampled_from([["yes"], ["no", "unsure"]])),
    }
    form = draw(st.sampled_from(["atom", "not", "any", "all"]))
    if form == "atom":
        return atom
    if form == "not":
        return {"not": atom}
    other = {"control": draw(st.sampled_from(gates)), "in": ["partly"]}
    return {form: [atom, other]}


@st.composite
def random_cases(draw, traps=False):
    """(pack content, answers, audience). Gate controls (on no tree) carry the
    applies_if conditions, as "do you have a home router?" does in the real packs.
    With `traps`, the root also needs one of 2-4 certain routes side by side, each
    closed by its own control: no single control cuts anything there."""
    ids = [f"C{i}" for i in range(draw(st.integers(2, 7)))]
    gates = [f"G{i}" for i in range(draw(st.integers(0, 2)))]
    controls = [control(g, section="gates") for g in gates]
    for cid in ids:
        kw = {
            "effort": draw(st.sampled_from(["low", "medium", "high"])),
            "critical": draw(st.booleans()),
            "section": draw(st.sampled_from(["s1", "s2"])),
        }
        if draw(st.integers(0, 5)) == 0:
            kw["audiences"] = ["office"]
        if gates and draw(st.integers(0, 3)) == 0:
            kw["applies_if"] = draw(_condition(gates))
        if draw(st.integers(0, 3)) == 0:
            kw["answers"] = REMOVING_SCALE
        controls.append(control(cid, **kw))
    counter = itertools.count()

    def node(depth):
        kind = draw(st.sampled_from(["leaf", "and", "or"])) if depth < 3 else "leaf"
        node_id = f"n{next(counter)}"
        if kind == "leaf":
            on_leaf = draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
            return leaf(node_id, p0=draw(P0), **{c: draw(EFFECTIVENESS) for c in on_leaf})
        children = [node(depth + 1) for _ in range(draw(st.integers(1, 4)))]
        return (AND if kind == "and" else OR)(node_id, *children)

    root = node(0)
    if traps:
        routes = [
            leaf(
                f"t{i}",
                **{
                    ids[i % len(ids)] if draw(st.integers(0, 3)) == 0 else f"T{i}": draw(
                        st.sampled_from([0.5, 0.9, 1.0])
                    )
                },
            )
            for i in range(draw(st.integers(2, 4)))
        ]
        used = {m["control"] for r in routes for m in r["mitigations"]}
        controls += [
            control(c, effort=draw(st.sampled_from(["low", "medium", "high"])))
            for c in sorted(used - set(ids))
        ]
        ids += sorted(used - set(ids))
        root = AND("trap", OR("routes", *routes), root)
    scenarios = [scenario("first", root)]
    if draw(st.booleans()):
        audiences = draw(st.sampled_from([["office"], ["parliamentarian", "office"]]))
        scenarios.append(scenario("second", node(0), audiences=audiences))
    content = pack(controls, scenarios)
    answers = {}
    removing = {c["id"] for c in controls if c.get("answers") == REMOVING_SCALE}
    for c in gates + ids:
        if c.startswith("T"):
            continue  # the trap's controls stay open (unanswered)
        choice = draw(st.sampled_from(ANSWER_CHOICES + (["absent"] if c in removing else [])))
        if choice is not None:
            answers[c] = choice
    return content, answers, draw(st.sampled_from(["parliamentarian", "office"]))


@st.composite
def real_cases(draw):
    """(pack content, answers, audience) on a shipped pack or the draft."""
    name = draw(st.sampled_from(sorted(REAL_PACKS)))
    content = REAL_PACKS[name]
    answers = {}
    for section in content["sections"]:
        for c in section["controls"]:
            keys = [a["key"] for a in c.get("answers") or []] or [
                "yes",
                "partly",
                "no",
                "unsure",
                "na",
            ]
            choice = draw(st.sampled_from([*keys, None]))
            if choice is not None:
                answers[c["id"]] = choice
    return content, answers, draw(st.sampled_from(content["audiences"]))


def _compiled(content):
    for name, real in REAL_PACKS.items():
        if real is content:
            return COMPILED_REAL[name]
    return compile_pack(content)


def _answer_levels(content) -> dict[str, dict]:
    out = {}
    for section in content["sections"]:
        for c in section["controls"]:
            scale = c.get("answers") or [
                {"key": k, "level": lv}
                for k, lv in (
                    ("yes", 1.0),
                    ("partly", 0.5),
                    ("no", 0.0),
                    ("unsure", 0.0),
                    ("na", "na"),
                )
            ]
            out[c["id"]] = {a["key"]: (0.0 if a["key"] == "unsure" else a["level"]) for a in scale}
    return out


def _referenced_by_conditions(content) -> set[str]:
    found = set()

    def walk(cond):
        if "control" in cond:
            found.add(cond["control"])
        for key in ("all", "any"):
            for c in cond.get(key, []):
                walk(c)
        if "not" in cond:
            walk(cond["not"])

    for section in content["sections"]:
        for c in section["controls"]:
            if c.get("applies_if"):
                walk(c["applies_if"])
    return found


def _on_trees(scenarios) -> set[str]:
    found = set()

    def walk(node):
        for m in node.get("mitigations", []):
            found.add(m["control"])
        for child in node.get("children", []):
            walk(child)

    for s in scenarios:
        walk(s["tree"])
    return found


CASES = random_cases() | random_cases(traps=True) | real_cases()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- properties -------------------------------------------------------------------------


@FAST
@given(CASES)
def test_exposure_is_a_probability_and_matches_the_naive_model(case):
    content, answers, audience = case
    result = evaluate(_compiled(content), answers, audience)
    removed = set()
    levels, candidates = reference_levels(content, answers, audience, removed=removed)
    scenarios = person_scenarios(content, audience)
    assert [s.id for s in result.scenarios] == [s["id"] for s in scenarios]
    for got, raw in zip(result.scenarios, scenarios, strict=True):
        assert 0.0 <= got.exposure <= 1.0
        assert 0.0 <= got.exposure_after_plan <= got.exposure + 1e-12
        expected = reference_exposure(raw["tree"], levels, removed)
        assert got.exposure == pytest.approx(expected, abs=1e-12)
        assert abs(got.score - got.exposure * 100) <= 0.5
        routes = reference_open_routes(raw["tree"], levels, candidates, removed)
        assert got.open_routes == pytest.approx(routes, abs=1e-9)
        assert 0.0 <= got.open_routes_after_plan <= got.open_routes + 1e-9


@FAST
@given(CASES, st.data())
def test_raising_an_answer_never_raises_any_exposure(case, data):
    content, answers, audience = case
    compiled = _compiled(content)
    # A control others' applies_if rest on can legitimately hide them when it changes;
    # the property is about levels, so those are left alone.
    choices = sorted(set(compiled.control_index) - _referenced_by_conditions(content))
    cid = data.draw(st.sampled_from(choices))
    scale = _answer_levels(content)[cid]
    old = answers.get(cid)
    old_level = 0.0 if old is None or scale[old] == "na" else scale[old]
    higher = sorted(k for k, lv in scale.items() if lv != "na" and lv > old_level)
    if not higher:
        return
    raised = {**answers, cid: data.draw(st.sampled_from(higher))}
    before = evaluate(compiled, answers, audience, with_plan=False)
    after = evaluate(compiled, raised, audience, with_plan=False)
    for b, a in zip(before.scenarios, after.scenarios, strict=True):
        assert a.exposure <= b.exposure + 1e-12
        assert a.open_routes <= b.open_routes + 1e-9


@FAST
@given(CASES)
def test_plan_only_proposes_applicable_controls_not_yet_in_place(case):
    content, answers, audience = case
    compiled = _compiled(content)
    result = evaluate(compiled, answers, audience)
    shown = set(visible_controls(compiled, answers, audience))
    scale = _answer_levels(content)
    proposed = [c for step in result.plan for c in step.controls]
    assert len(proposed) == len(set(proposed))
    for cid in proposed:
        assert cid in shown  # not hidden by audience or applies_if
        key = answers.get(cid)
        assert key is None or scale[cid][key] != "na"
        assert key is None or scale[cid][key] < 1.0
    for step in result.plan:
        assert 1 <= len(step.controls) <= 2
        for before, after in step.cuts.values():
            assert after <= before + 1e-12


@FAST
@given(CASES)
def test_following_the_plan_reaches_the_minimum_reachable_exposure(case):
    content, answers, audience = case
    compiled = _compiled(content)
    result = evaluate(compiled, answers, audience)
    scenarios = person_scenarios(content, audience)
    removed = set()
    levels, candidates = reference_levels(content, answers, audience, removed=removed)
    best = {**levels, **dict.fromkeys(candidates, 1.0)}
    for got, raw in zip(result.scenarios, scenarios, strict=True):
        floor = reference_exposure(raw["tree"], best, removed)
        assert got.exposure_after_plan == pytest.approx(floor, abs=ALL_FULL_TOLERANCE)
        fewest = reference_open_routes(raw["tree"], best, (), removed)
        assert got.open_routes_after_plan == pytest.approx(fewest, abs=1e-9)
    # and doing it: answer every planned control "fully in place"
    full_key = {
        cid: next(k for k, lv in scale.items() if lv == 1.0)
        for cid, scale in _answer_levels(content).items()
        if 1.0 in scale.values()
    }
    done = {**answers, **{c: full_key[c] for step in result.plan for c in step.controls}}
    if visible_controls(compiled, done, audience) != visible_controls(compiled, answers, audience):
        return  # answering changed what is asked; the plan is about levels, not answers
    followed = evaluate(compiled, done, audience)
    for got, then in zip(result.scenarios, followed.scenarios, strict=True):
        assert then.exposure == pytest.approx(got.exposure_after_plan, abs=ALL_FULL_TOLERANCE)
    assert followed.plan == ()


def test_two_fully_open_routes_are_closed_one_by_one():
    # Both routes certain; each control closes one. Neither alone cuts exposure, but
    # each closes one of the two ways in: phase 1 takes the cheaper first.
    content = pack(
        [control("A"), control("B", effort="medium")],
        [scenario("s", OR("r", leaf("l1", A=0.95), leaf("l2", B=0.95)))],
    )
    result = evaluate(compile_pack(content), {}, "parliamentarian")
    assert [step.controls for step in result.plan] == [("A",), ("B",)]
    assert [dict(step.routes) for step in result.plan] == [{"s": (2, 1)}, {"s": (1, 0)}]
    assert result.plan[0].cuts["s"] == pytest.approx((1.0, 1.0))
    # 1 − 0.95² = 0.0975 remains; 1 − (1 − 0.05)(1 − 0.05) = 0.0975
    assert result.scenarios[0].exposure_after_plan == pytest.approx(0.0975)


def test_the_or_trap_a_route_nobody_can_block_makes_its_or_exactly_one():
    # AND(OR(l1 unblockable, l2[A .9]), OR(l3[B .9], l4[C .9])): the first OR is certain
    # whatever A does, so it counts 1 (not 2) and A closes no way in: 1 × 2 = 2 open
    # routes, closed by B and C. A cuts nothing at all, so it is never proposed.
    content = pack(
        [control("A"), control("B"), control("C")],
        [
            scenario(
                "s",
                AND(
                    "r",
                    OR("o1", leaf("l1"), leaf("l2", A=0.9)),
                    OR("o2", leaf("l3", B=0.9), leaf("l4", C=0.9)),
                ),
            )
        ],
    )
    result = evaluate(compile_pack(content), {}, "parliamentarian")
    assert result.scenarios[0].open_routes == 2
    assert [step.controls for step in result.plan] == [("B",), ("C",)]
    assert [dict(step.routes) for step in result.plan] == [{"s": (2, 1)}, {"s": (1, 0)}]
    # Without the trap rule the first OR would add up to 2, and A would seem to close
    # half of the four ways in.


@FAST
@given(CASES)
def test_open_routes_never_rise_along_the_plan_and_match_the_naive_model(case):
    content, answers, audience = case
    result = evaluate(_compiled(content), answers, audience)
    scenarios = person_scenarios(content, audience)
    removed = set()
    levels, candidates = reference_levels(content, answers, audience, removed=removed)
    candidates &= _on_trees(scenarios)
    now = {s.id: s.open_routes for s in result.scenarios}
    for step in result.plan:
        for c in step.controls:
            levels[c] = 1.0
            candidates.discard(c)
        for raw in scenarios:
            expected = reference_open_routes(raw["tree"], levels, candidates, removed)
            assert expected <= now[raw["id"]] + 1e-9  # never rises
            if raw["id"] in step.routes:
                before, after = step.routes[raw["id"]]
                assert before == pytest.approx(now[raw["id"]], abs=1e-9)
                assert after == pytest.approx(expected, abs=1e-9)
            now[raw["id"]] = expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    random_cases()
    | random_cases(traps=True)
    | real_cases().filter(lambda case: case[0]["id"] != "draft")
)
def test_every_step_is_the_best_single_or_pair_by_brute_force(case):
    content, answers, audience = case
    result = evaluate(_compiled(content), answers, audience)
    scenarios = person_scenarios(content, audience)
    removed = set()
    levels, candidates = reference_levels(content, answers, audience, removed=removed)
    candidates &= _on_trees(scenarios)
    floor = total_exposure(scenarios, {**levels, **dict.fromkeys(candidates, 1.0)}, removed)
    for step in result.plan:
        chosen = tuple(sorted(step.controls))
        routes = reference_route_gains(content, scenarios, levels, candidates, removed)
        if max(routes.values(), default=0.0) > 1e-9:
            # phase 1: the single closing the most open routes per effort
            assert len(chosen) == 1
            assert routes[chosen[0]] >= max(routes.values()) - 1e-9
            for c in chosen:
                levels[c] = 1.0
                candidates.discard(c)
            continue
        singles, pairs = reference_gains(content, scenarios, levels, candidates, removed)
        options = {**singles, **pairs}
        best = max(options.values(), default=0.0)
        if best > 1e-12:
            assert chosen in options, (
                f"{chosen} is not a single, nor a pair with a control that cuts nothing alone"
            )
            assert options[chosen] >= best - 1e-9
        else:
            # nothing cuts alone or in pairs, yet the floor is not reached: one control
            assert len(chosen) == 1
            assert total_exposure(scenarios, levels, removed) > floor + 1e-12
        for c in chosen:
            levels[c] = 1.0
            candidates.discard(c)
    singles, pairs = reference_gains(content, scenarios, levels, candidates, removed)
    assert max({**singles, **pairs}.values(), default=0.0) <= 1e-12
    assert (
        max(
            reference_route_gains(content, scenarios, levels, candidates, removed).values(),
            default=0.0,
        )
        <= 1e-9
    )
    assert total_exposure(scenarios, levels, removed) == pytest.approx(
        floor, abs=ALL_FULL_TOLERANCE
    )


@FAST
@given(CASES)
def test_the_same_answers_give_the_same_bytes(case):
    content, answers, audience = case
    first = json.dumps(result_to_dict(evaluate(_compiled(content), answers, audience)))
    again = json.dumps(
        result_to_dict(
            evaluate(
                compile_pack(json.loads(json.dumps(content))),
                dict(reversed(answers.items())),
                audience,
            )
        )
    )
    assert first == again


HASHSEED_SCRIPT = """
import json, random, sys
sys.path.insert(0, {root!r})
from apps.scoring.engine import compile_pack, evaluate, result_to_dict
from tests.scoring.packs import all_pack_contents

out = []
for name, content in sorted(all_pack_contents().items()):
    pack = compile_pack(content)
    rng = random.Random(name)
    for audience in pack.audiences:
        for profile in ("empty", "no", "partly", "random"):
            answers = {{}}
            for c in pack.controls:
                keys = sorted(c.levels)
                if profile == "random":
                    pick = rng.choice(keys + [None])
                elif profile in keys:
                    pick = profile
                else:
                    pick = None
                if pick is not None:
                    answers[c.id] = pick
            out.append(result_to_dict(evaluate(pack, answers, audience)))
print(json.dumps(out))
"""


def test_results_do_not_depend_on_the_hash_seed():
    script = HASHSEED_SCRIPT.format(root=str(ROOT))
    outputs = set()
    for seed in ("0", "1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    results = json.loads(outputs.pop())
    assert any(r["scenarios"] and r["plan"] for r in results)


@FAST
@given(CASES)
def test_exposures_if_full_are_scenario_exposures_of_the_changed_answers(case):
    """The shortcut the marginal cuts take gives, bit for bit, what resolving the changed
    answers afresh gives: on random trees (answers that remove a surface, conditions) and
    on the real packs."""
    content, answers, audience = case
    compiled = _compiled(content)
    shown = visible_controls(compiled, answers, audience)
    got = exposures_if_full(compiled, answers, audience, shown)
    for control_id in shown:
        levels = compiled.controls[compiled.control_index[control_id]].levels
        best = max(level for level in levels.values() if level is not None)
        full = next(key for key, level in levels.items() if level == best)
        changed = {**answers, control_id: full}
        assert got[control_id] == [
            s.exposure for s in scenario_exposures(compiled, changed, audience)
        ]
