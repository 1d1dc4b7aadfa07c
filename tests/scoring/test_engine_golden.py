"""Golden tests: small hand-built trees whose numbers are worked out by hand below.

Model (ARCHITECTURE.md §4): leaf p = p0 × Π(1 − e × level); OR = 1 − Π(1 − p);
AND = Π p, with each control counted once along any root-to-leaf path at its strongest e.
Open routes: blocking mitigations (e >= 0.6) as full blocks 1 − level; AND multiplies,
OR adds, except an OR with a child at 1 that nothing remaining can lower is 1.
"""

from __future__ import annotations

import json

import pytest

from apps.scoring.engine import (
    ENGINE_VERSION,
    AnswerError,
    AudienceError,
    PackError,
    compile_pack,
    evaluate,
    result_to_dict,
    visible_controls,
)
from tests.scoring.builders import AND, OR, control, leaf, pack, scenario

MP = "parliamentarian"


def score(controls, tree, answers, *, audience=MP, with_plan=True, **scenario_kw):
    compiled = compile_pack(pack(controls, [scenario("s", tree, **scenario_kw)]))
    return evaluate(compiled, answers, audience, with_plan=with_plan)


def exposure(controls, tree, answers, **kw) -> float:
    return score(controls, tree, answers, **kw).scenarios[0].exposure


# --- the arithmetic ---------------------------------------------------------------------


def test_leaf_multiplies_p0_by_each_remaining_barrier():
    # 0.8 × (1 − 0.5 × 1) × (1 − 0.25 × 0.5) = 0.8 × 0.5 × 0.875 = 0.35
    result = score(
        [control("A"), control("B")],
        leaf("l", p0=0.8, A=0.5, B=0.25),
        {"A": "yes", "B": "partly"},
    )
    assert result.scenarios[0].exposure == pytest.approx(0.35)
    assert result.scenarios[0].score == 35


def test_or_is_any_route_and_is_every_step():
    controls = [control("A")]
    # l1 = 1 × (1 − 0.5) = 0.5; l2 = p0 0.4
    # OR: 1 − (1 − 0.5)(1 − 0.4) = 1 − 0.3 = 0.7
    tree_or = OR("r", leaf("l1", A=0.5), leaf("l2", p0=0.4))
    assert exposure(controls, tree_or, {"A": "yes"}) == pytest.approx(0.7)
    # AND: 0.5 × 0.4 = 0.2
    tree_and = AND("r", leaf("l1", A=0.5), leaf("l2", p0=0.4))
    assert exposure(controls, tree_and, {"A": "yes"}) == pytest.approx(0.2)


def test_common_cause_counts_a_control_once_along_an_and_at_its_strongest():
    controls = [control("D")]
    # D sits on both steps of the AND (e 0.6 and 0.3). One barrier: 1 × 1 × (1 − 0.6)
    # = 0.4, not (1 − 0.6)(1 − 0.3) = 0.28 as if it were two independent chances.
    tree = AND("r", leaf("l1", D=0.6), leaf("l2", D=0.3))
    assert exposure(controls, tree, {"D": "yes"}) == pytest.approx(0.4)


def test_common_cause_reaches_through_nested_ands():
    controls = [control("D"), control("E")]
    # AND(l1[D .6], AND(l2[D .3], l3[E .5])) is one AND region:
    # D once at 0.6, E at 0.5: (1 − 0.6)(1 − 0.5) = 0.2
    tree = AND("r", leaf("l1", D=0.6), AND("r2", leaf("l2", D=0.3), leaf("l3", E=0.5)))
    assert exposure(controls, tree, {"D": "yes", "E": "yes"}) == pytest.approx(0.2)


def test_an_or_folds_its_routes_into_a_plain_likelihood():
    controls = [control("D")]
    # Under an OR the routes are alternatives, so D lowers each on its own:
    # 1 − (1 − 0.4)(1 − 0.7) = 1 − 0.18 = 0.82
    tree_or = OR("r", leaf("l1", D=0.6), leaf("l2", D=0.3))
    assert exposure(controls, tree_or, {"D": "yes"}) == pytest.approx(0.82)


def test_common_cause_holds_along_a_whole_path():
    controls = [control("D")]
    # AND(l1[D .6], OR(l2[D .3], l3 p0 .5)): D is one barrier on the path to l2 too, so it
    # counts there once, at 0.6 (engine 1 counted it again inside the OR: 0.4 × 0.85 =
    # 0.34). l2 keeps likelihood 1 below the spine's D: OR = 1 − 0 × 0.5 = 1; 0.4 × 1.
    tree = AND("r", leaf("l1", D=0.6), OR("o", leaf("l2", D=0.3), leaf("l3", p0=0.5)))
    assert exposure(controls, tree, {"D": "yes"}) == pytest.approx(0.4)
    # Stronger inside the route (0.6) than on the spine (0.3): along the path to l2 it
    # counts at 0.6 in all, the spine's 0.7 times (1 − 0.6) / (1 − 0.3) inside.
    # l2 = 0.4 / 0.7; OR = 1 − (1 − 0.4 / 0.7)(1 − 0.5) = 0.7857...; root 0.7 × that = 0.55
    tree = AND("r", leaf("l1", D=0.3), OR("o", leaf("l2", D=0.6), leaf("l3", p0=0.5)))
    assert exposure(controls, tree, {"D": "yes"}) == pytest.approx(0.55)
    # partly (level 0.5): spine 1 − 0.15 = 0.85, inside (1 − 0.3) / 0.85; the path to l2
    # has 0.7, the strongest barrier at that level
    value = exposure(controls, tree, {"D": "partly"})
    assert value == pytest.approx(0.85 * (1 - (1 - 0.7 / 0.85) * 0.5))


def test_partly_counts_half_of_the_barrier():
    # 1 × (1 − 0.8 × 0.5) = 0.6
    assert exposure([control("A")], leaf("l", A=0.8), {"A": "partly"}) == pytest.approx(0.6)


def test_custom_answer_levels_are_used():
    answers = [
        {"key": "all", "label": "All", "level": 1},
        {"key": "most", "label": "Most", "level": 0.75},
        {"key": "none", "label": "None", "level": 0},
    ]
    # 1 × (1 − 0.8 × 0.75) = 0.4
    value = exposure([control("A", answers=answers)], leaf("l", A=0.8), {"A": "most"})
    assert value == pytest.approx(0.4)


def test_unsure_counts_as_not_in_place_and_is_a_find_out_step():
    result = score([control("A"), control("B")], leaf("l", A=0.8), {"A": "unsure", "B": "yes"})
    assert result.scenarios[0].exposure == pytest.approx(1.0)
    assert result.find_out == ("A",)
    assert [step.controls for step in result.plan] == [("A",)]


def test_na_leaves_the_likelihood_unchanged_and_is_never_planned():
    controls = [control("A"), control("B")]
    tree = leaf("l", p0=0.5, A=0.8, B=0.5)
    result = score(controls, tree, {"A": "na", "B": "no"})
    assert result.scenarios[0].exposure == pytest.approx(0.5)
    assert [step.controls for step in result.plan] == [("B",)]
    section = result.sections[0]
    assert (section.applicable, section.answered) == (1, 1)  # A excluded


FAMILY_ANSWERS = [
    {"key": "yes", "label": "Yes", "level": 1},
    {"key": "no", "label": "No", "level": 0},
    {"key": "na", "label": "Does not apply", "level": "na"},
    {"key": "alone", "label": "I live alone", "level": 1, "removes": True},
]


def _family_tree():
    # OR(l1[A .9], AND(a2, l2[FAM .6 primary], l3[FAM .3 supporting, p0 .5])):
    # route 2 goes through the household; FAM mitigates l2 as primary only.
    supporting = leaf("l3", p0=0.5, FAM=0.3)
    supporting["mitigations"][0]["role"] = "supporting"
    return OR("r", leaf("l1", A=0.9), AND("a2", leaf("l2", FAM=0.6), supporting))


def test_an_answer_that_removes_a_surface_closes_its_steps_and_na_does_not():
    controls = [control("A"), control("FAM", answers=FAMILY_ANSWERS)]
    # A in place: l1 = 0.1. FAM "na" (nothing known): route 2 = 1 × 0.5 = 0.5, and
    # nobody can close it: OR = 1 − 0.9 × 0.5 = 0.55, one way in left open for good.
    na = score(controls, _family_tree(), {"A": "yes", "FAM": "na"})
    assert na.scenarios[0].exposure == pytest.approx(0.55)
    assert na.scenarios[0].open_routes == 1
    assert na.plan == ()
    # FAM "alone" (no household): l2, which FAM mitigates as primary, is 0, and with it
    # route 2: OR = 0.1, no way in left open.
    alone = score(controls, _family_tree(), {"A": "yes", "FAM": "alone"})
    assert alone.scenarios[0].exposure == pytest.approx(0.1)
    assert alone.scenarios[0].open_routes == 0
    assert alone.plan == ()
    assert [leaf_.p for leaf_ in alone.scenarios[0].route] == [pytest.approx(0.1)]
    # it counts as in place for coverage, like "yes"
    assert alone.sections[0].coverage == 1.0
    # and "yes" leaves the steps there, barred: route 2 = 0.5 × (1 − 0.6) = 0.2 (FAM is
    # one barrier along the AND, at its strongest); OR = 1 − 0.9 × 0.8 = 0.28
    yes = score(controls, _family_tree(), {"A": "yes", "FAM": "yes"})
    assert yes.scenarios[0].exposure == pytest.approx(0.28)


def test_a_removing_answer_must_be_fully_in_place():
    answers = [
        {"key": "yes", "label": "Yes", "level": 1},
        {"key": "gone", "label": "Gone", "level": 0.5, "removes": True},
    ]
    with pytest.raises(PackError, match="removes, so its level must be 1"):
        score([control("A", answers=answers)], leaf("l", A=0.9), {})


# --- who sees what ----------------------------------------------------------------------


def test_applies_if_hides_a_control_until_its_condition_holds():
    controls = [
        control("GATE"),
        control("B", applies_if={"control": "GATE", "in": ["yes", "partly"]}),
    ]
    tree = leaf("l", B=0.8)
    compiled = compile_pack(pack(controls, [scenario("s", tree)]))
    # shown: gate answered yes -> B's yes counts: 1 × (1 − 0.8) = 0.2
    shown = evaluate(compiled, {"GATE": "yes", "B": "yes"}, MP)
    assert visible_controls(compiled, {"GATE": "yes"}, MP) == ["GATE", "B"]
    assert shown.scenarios[0].exposure == pytest.approx(0.2)
    # hidden: gate "no", or unanswered -> B's answer is ignored, p stays 1.0
    for gate in ({"GATE": "no"}, {}):
        hidden = evaluate(compiled, {**gate, "B": "yes"}, MP)
        assert visible_controls(compiled, gate, MP) == ["GATE"]
        assert hidden.scenarios[0].exposure == pytest.approx(1.0)
        assert "B" not in hidden.unanswered
        assert all("B" not in step.controls for step in hidden.plan)


def test_a_condition_on_an_unanswered_or_hidden_control_is_not_met():
    controls = [
        control("A"),
        control("B", applies_if={"control": "A", "in": ["yes"]}),
        control("C", applies_if={"not": {"control": "A", "in": ["yes"]}}),
        control("D", applies_if={"control": "B", "in": ["no"]}),
        control(
            "E",
            applies_if={"any": [{"control": "A", "in": ["no"]}, {"control": "C", "in": ["no"]}]},
        ),
        control(
            "F",
            applies_if={"all": [{"control": "A", "in": ["no"]}, {"control": "C", "in": ["no"]}]},
        ),
    ]
    compiled = compile_pack(pack(controls, [scenario("s", leaf("l", A=0.5))]))
    # A unanswered: B, C (a `not` on an unknown) and everything resting on them hidden
    assert visible_controls(compiled, {}, MP) == ["A"]
    # A = no: B hidden, so D (on B) is hidden even with B answered "no"; C shown
    answers = {"A": "no", "B": "no", "C": "yes"}
    assert visible_controls(compiled, answers, MP) == ["A", "C", "E"]
    answers = {"A": "no", "C": "no"}
    assert visible_controls(compiled, answers, MP) == ["A", "C", "E", "F"]


def test_audience_filter_hides_controls_and_scenarios():
    controls = [control("A"), control("OFF", audiences=["office"])]
    compiled = compile_pack(
        pack(
            controls,
            [
                scenario("mine", leaf("l1", A=0.5, OFF=0.5), audiences=[MP]),
                scenario("theirs", leaf("l2", OFF=0.5), audiences=["office"]),
            ],
        )
    )
    result = evaluate(compiled, {"OFF": "yes"}, MP)
    assert [s.id for s in result.scenarios] == ["mine"]
    # OFF is hidden from an MP: its "yes" is ignored: 1 × (1 − 0.5 × 0) = 1.0
    assert result.scenarios[0].exposure == pytest.approx(1.0)
    assert visible_controls(compiled, {}, MP) == ["A"]
    assert [step.controls for step in result.plan] == [("A",)]
    office = evaluate(compiled, {"OFF": "yes"}, "office")
    assert [s.id for s in office.scenarios] == ["theirs"]
    assert office.scenarios[0].exposure == pytest.approx(0.5)


# --- bands, coverage, baseline ----------------------------------------------------------


@pytest.mark.parametrize(
    ("p0", "band", "score_"),
    [
        (0.1, "low", 10),
        (0.2, "moderate", 20),
        (0.35, "moderate", 35),
        (0.5, "high", 50),
        (0.95, "critical", 95),
    ],
)
def test_band_is_the_highest_lower_bound_reached(p0, band, score_):
    # bands: low 0, moderate 0.2, high 0.5, critical 0.8 (builders.scenario)
    result = score([control("A")], leaf("l", p0=p0, A=0.5), {})
    assert result.scenarios[0].band == band
    assert result.scenarios[0].score == score_


def test_section_coverage_is_the_mean_level_of_applicable_controls():
    controls = [
        control("A"),
        control("B"),
        control("C"),
        control("D"),
        control("E", section="other"),
    ]
    result = score(controls, leaf("l", A=0.5), {"A": "yes", "B": "partly", "C": "na", "E": "na"})
    first, other = result.sections
    # A 1 + B 0.5 + D (unanswered) 0 over 3 applicable (C is na) = 0.5
    assert (first.id, first.coverage, first.applicable, first.answered) == ("s1", 0.5, 3, 2)
    assert (other.coverage, other.applicable) == (None, 0)
    assert result.unanswered == ("D",)


def test_a_critical_control_below_full_fails_the_baseline():
    controls = [control("A", critical=True), control("B", critical=True), control("C")]
    tree = leaf("l", A=0.5)
    assert score(controls, tree, {"A": "yes", "B": "yes"}).baseline_met is True
    partly = score(controls, tree, {"A": "partly", "B": "yes"})
    assert (partly.baseline_met, partly.critical_gaps) == (False, ("A",))
    unanswered = score(controls, tree, {"A": "yes"})
    assert unanswered.critical_gaps == ("B",)
    # "does not apply" is not a gap
    assert score(controls, tree, {"A": "yes", "B": "na"}).baseline_met is True


# --- explanations -----------------------------------------------------------------------


def test_route_follows_the_riskiest_or_child_and_every_and_child():
    controls = [control("A"), control("B"), control("C")]
    # OR children: l1 = 1 × (1 − 0.5) = 0.5, l2 = 0.7 -> route takes l2, then l3
    tree = AND("r", OR("o", leaf("l1", A=0.5), leaf("l2", p0=0.7, B=0.2)), leaf("l3", C=0.9))
    result = score(controls, tree, {"A": "yes", "C": "partly"})
    route = result.scenarios[0].route
    assert [leaf_.node for leaf_ in route] == ["l2", "l3"]
    assert route[0].p == pytest.approx(0.7)
    assert route[0].open_controls == ("B",)
    # l3: 1 × (1 − 0.9 × 0.5) = 0.55, C still only partly in place
    assert route[1].p == pytest.approx(0.55)
    assert route[1].open_controls == ("C",)


def test_cut_sets_name_the_controls_that_block_every_route():
    controls = [control(c) for c in "ABCD"]
    # Route 1 (AND l1, l2) is blocked by A or B; route 2 (l3) only by C: D at 0.3 is
    # a supporting barrier, below the blocking threshold. Both routes must be blocked.
    tree = OR("r", AND("r1", leaf("l1", A=0.9), leaf("l2", B=0.9)), leaf("l3", C=0.9, D=0.3))
    result = score(controls, tree, {})
    assert result.scenarios[0].cut_sets == (("A", "C"), ("B", "C"))
    # a control that does not apply to this person cannot be in their cut sets
    result_na = score(controls, tree, {"A": "na"})
    assert result_na.scenarios[0].cut_sets == (("B", "C"),)


# --- the remediation plan ---------------------------------------------------------------


def test_plan_ranks_cut_per_effort_and_reports_what_each_step_cuts():
    controls = [control("CHEAP", effort="low"), control("DEAR", effort="high")]
    # AND(l1[CHEAP .3], l2[DEAR .5]), root 1.0; neither blocks, so no route to close.
    # CHEAP: 1 → 0.7, cut 0.3 per effort 1 = 0.3; DEAR: 1 → 0.5, cut 0.5 / 4 = 0.125
    tree = AND("r", leaf("l1", CHEAP=0.3), leaf("l2", DEAR=0.5))
    plan = score(controls, tree, {}).plan
    assert [step.controls for step in plan] == [("CHEAP",), ("DEAR",)]
    assert plan[0].cuts["s"] == pytest.approx((1.0, 0.7))
    # then DEAR: 0.7 → 0.7 × 0.5 = 0.35
    assert plan[1].cuts["s"] == pytest.approx((0.7, 0.35))
    assert (plan[0].effort, plan[1].effort) == (1, 4)
    assert dict(plan[0].routes) == {"s": (1, 1)}  # one open route, nothing closes it


def test_closing_a_way_in_comes_before_cutting_exposure():
    controls = [control("CHEAP", effort="low"), control("DEAR", effort="high")]
    # AND(l1[CHEAP .5], l2[DEAR .9]). By exposure alone CHEAP (0.5 per effort) beats
    # DEAR (0.9 / 4), but DEAR blocks the one route (0.9 >= 0.6): phase 1 takes it first.
    tree = AND("r", leaf("l1", CHEAP=0.5), leaf("l2", DEAR=0.9))
    result = score(controls, tree, {})
    assert result.scenarios[0].open_routes == 1
    assert result.scenarios[0].open_routes_after_plan == 0
    plan = result.plan
    assert [step.controls for step in plan] == [("DEAR",), ("CHEAP",)]
    assert plan[0].cuts["s"] == pytest.approx((1.0, 0.1))
    assert dict(plan[0].routes) == {"s": (1, 0)}
    assert plan[1].cuts["s"] == pytest.approx((0.1, 0.05))
    assert dict(plan[1].routes) == {"s": (0, 0)}


def test_open_routes_add_under_an_or_and_multiply_under_an_and():
    controls = [control(c) for c in "ABCDE"]
    # AND(OR(l1[A .9], l2[B .6]), OR(l3[C .9], l4[D .7], l5[E .5 not blocking])): the
    # second OR's l5 is certain and nothing blocks it: that OR is exactly 1. 2 × 1 = 2.
    tree = AND(
        "r",
        OR("o1", leaf("l1", A=0.9), leaf("l2", B=0.6)),
        OR("o2", leaf("l3", C=0.9), leaf("l4", D=0.7), leaf("l5", E=0.5)),
    )
    result = score(controls, tree, {})
    assert result.scenarios[0].open_routes == 2
    # B partly: its route is half open. C and D block nothing that matters.
    result = score(controls, tree, {"B": "partly"})
    assert result.scenarios[0].open_routes == 1.5
    assert [step.controls for step in result.plan][:2] == [("A",), ("B",)]
    assert [dict(step.routes) for step in result.plan][:2] == [{"s": (1.5, 0.5)}, {"s": (0.5, 0)}]


def test_phase_one_ties_go_to_the_larger_exposure_cut_then_the_id():
    controls = [control("B"), control("A"), control("Z")]
    # OR(l1[B .9], l2[A .7], l3[Z .7]): each closes one of three ways in at effort 1.
    # Exposure cuts are all 0 while two other routes are certain, so the id decides: A.
    # Then B and Z each close one of two; closing either leaves one certain route, so
    # exposure again ties: B.
    tree = OR("r", leaf("l1", B=0.9), leaf("l2", A=0.7), leaf("l3", Z=0.7))
    plan = score(controls, tree, {}).plan
    assert [step.controls for step in plan] == [("A",), ("B",), ("Z",)]
    # AND(l1[A .6], l2[B .9 and Z .7]) with one route: A and B each close it; B cuts
    # more exposure (0.9 against 0.6), so B comes first although A sorts first.
    tree = AND("r", leaf("l1", A=0.6), leaf("l2", B=0.9, Z=0.7))
    plan = score(controls, tree, {}).plan
    assert plan[0].controls == ("B",)


def test_plan_weighs_pairs_that_cut_nothing_alone_at_every_step():
    controls = [control("A"), control("B"), control("S")]
    # AND(OR(l1[A .5], l2[B .5]), l3[S .1]), root 1.0: two fully open routes that no
    # control blocks (0.5 < 0.6), so phase 2 from the start.
    # A alone: OR = 1 − (1 − 0.5)(1 − 1) = 1, no cut; B alone likewise.
    # S alone: 1 → 0.9, cut 0.1 per effort 1 = 0.1.
    # A + B: OR = 1 − 0.5 × 0.5 = 0.75, cut 0.25 per effort 2 = 0.125 -> first.
    tree = AND("r", OR("o", leaf("l1", A=0.5), leaf("l2", B=0.5)), leaf("l3", S=0.1))
    result = score(controls, tree, {})
    assert [step.controls for step in result.plan] == [("A", "B"), ("S",)]
    assert result.plan[0].cuts["s"] == pytest.approx((1.0, 0.75))
    assert result.plan[0].effort == 2
    # then S: 0.75 → 0.75 × 0.9 = 0.675
    assert result.plan[1].cuts["s"] == pytest.approx((0.75, 0.675))
    assert result.scenarios[0].exposure_after_plan == pytest.approx(0.675)


def test_a_single_that_beats_the_pair_per_effort_goes_first():
    controls = [control("A", effort="high"), control("B", effort="high"), control("S")]
    # same tree; the pair now costs 8: 0.25 / 8 ≈ 0.031 < S's 0.1 / 1
    tree = AND("r", OR("o", leaf("l1", A=0.5), leaf("l2", B=0.5)), leaf("l3", S=0.1))
    result = score(controls, tree, {})
    assert [step.controls for step in result.plan] == [("S",), ("A", "B")]


def test_three_open_routes_still_close_to_the_minimum():
    controls = [control(c) for c in "ABC"]
    # OR(l1[A .5], l2[B .5], l3[C .5]): none blocks, and no single and no pair cuts
    # anything. The plan still reaches the minimum 1 − 0.5³ = 0.875: it takes A
    # (cheapest, first by id; cuts nothing yet), then the pair B + C closes the rest.
    tree = OR("r", leaf("l1", A=0.5), leaf("l2", B=0.5), leaf("l3", C=0.5))
    result = score(controls, tree, {})
    assert [step.controls for step in result.plan] == [("A",), ("B", "C")]
    assert result.plan[0].cuts["s"] == pytest.approx((1.0, 1.0))
    assert result.scenarios[0].exposure_after_plan == pytest.approx(0.875)
    # Blocking (0.9): each closes one of three ways in, one at a time, in phase 1.
    tree = OR("r", leaf("l1", A=0.9), leaf("l2", B=0.9), leaf("l3", C=0.9))
    result = score(controls, tree, {})
    assert [step.controls for step in result.plan] == [("A",), ("B",), ("C",)]
    assert [dict(step.routes) for step in result.plan] == [
        {"s": (3, 2)},
        {"s": (2, 1)},
        {"s": (1, 0)},
    ]
    assert result.scenarios[0].exposure_after_plan == pytest.approx(0.271)


def test_ties_are_broken_by_control_id():
    controls = [control("ZED"), control("ALPHA"), control("MID")]
    # three identical barriers on three steps of one AND: equal gains at every step
    tree = AND("r", leaf("l1", ZED=0.5), leaf("l2", ALPHA=0.5), leaf("l3", MID=0.5))
    plan = score(controls, tree, {}).plan
    assert [step.controls for step in plan] == [("ALPHA",), ("MID",), ("ZED",)]


def test_partly_in_place_controls_are_raised_to_full():
    controls = [control("A"), control("B")]
    # A partly: 1 × (1 − 0.8 × 0.5) = 0.6; raising it to full: 0.2
    result = score(controls, leaf("l", A=0.8), {"A": "partly", "B": "yes"})
    assert [step.controls for step in result.plan] == [("A",)]
    assert result.plan[0].cuts["s"] == pytest.approx((0.6, 0.2))


def test_implemented_and_off_tree_controls_are_not_planned():
    controls = [control("A"), control("B"), control("OFF")]
    tree = AND("r", leaf("l1", A=0.5), leaf("l2", B=0.5))
    result = score(controls, tree, {"A": "yes"})
    assert [step.controls for step in result.plan] == [("B",)]


def test_without_plan_the_exposure_is_the_same():
    controls = [control("A"), control("B")]
    tree = AND("r", leaf("l1", A=0.5), leaf("l2", B=0.5))
    full = score(controls, tree, {"A": "partly"})
    quick = score(controls, tree, {"A": "partly"}, with_plan=False)
    assert quick.plan == ()
    assert quick.scenarios[0].exposure == full.scenarios[0].exposure


# --- inputs and outputs -----------------------------------------------------------------


def test_unknown_controls_and_answer_keys_are_refused_by_name():
    with pytest.raises(AnswerError) as error:
        score([control("A")], leaf("l", A=0.5), {"A": "maybe", "NOPE": "yes"})
    assert error.value.problems == [
        "unknown answer 'maybe' for A (expected one of yes, partly, no, unsure, na)",
        "unknown control id 'NOPE'",
    ]


def test_an_unknown_audience_is_refused():
    with pytest.raises(AudienceError, match="'voter'"):
        score([control("A")], leaf("l", A=0.5), {}, audience="voter")


def test_a_mitigation_naming_an_unknown_control_is_a_pack_error():
    with pytest.raises(PackError, match="GHOST"):
        compile_pack(pack([control("A")], [scenario("s", leaf("l", GHOST=0.5))]))


def test_defaults_apply_when_fields_are_missing():
    raw = pack([control("A")], [scenario("s", leaf("l", A=0.5))])
    node = raw["scenarios"][0]["tree"]
    del node["p0"]
    node["mitigations"] = [{"control": "A", "role": "supporting"}]
    del raw["scenarios"][0]["bands"]
    result = evaluate(compile_pack(raw), {"A": "partly"}, MP)
    # p0 1.0, supporting e 0.3: 1 × (1 − 0.3 × 0.5) = 0.85; default bands: critical ≥ 0.75
    assert result.scenarios[0].exposure == pytest.approx(0.85)
    assert result.scenarios[0].band == "critical"


def test_effort_weights_come_from_the_pack():
    raw = pack(
        [control("A", effort="low"), control("B", effort="high")],
        [scenario("s", AND("r", leaf("l1", A=0.5), leaf("l2", B=0.9)))],
        effort_weights={"low": 1, "medium": 2, "high": 1},
    )
    plan = evaluate(compile_pack(raw), {}, MP).plan
    # with high weighing 1, B's cut 0.9 beats A's 0.5
    assert [step.controls for step in plan] == [("B",), ("A",)]
    assert plan[0].effort == 1


def test_result_to_dict_is_json_with_rounded_floats_in_a_fixed_order():
    controls = [control("A"), control("B")]
    tree = OR("r", leaf("l1", A=1 / 3), leaf("l2", B=0.5))
    result = score(controls, tree, {"A": "yes"})
    data = result_to_dict(result)
    assert list(data) == [
        "pack", "version", "engine_version", "audience", "scenarios", "sections",
        "baseline_met", "critical_gaps", "find_out", "unanswered", "plan",
    ]  # fmt: skip
    assert ENGINE_VERSION == "2.0.0"
    assert data["engine_version"] == ENGINE_VERSION
    # l1 = 1 × (1 − 1/3) = 2/3, l2 = 1 (B unanswered): OR = 1
    (scenario_data,) = data["scenarios"]
    assert scenario_data["route"][0] == {
        "node": "l2",
        "title": "Step l2",
        "p": 1.0,
        "controls": ["B"],
    }
    step = data["plan"][0]
    assert step["controls"] == ["B"]
    # B alone: l2 = 0.5, OR = 1 − (1/3)(1/2) = 5/6
    assert step["cuts"] == {"s": [1.0, round(5 / 6, 6)]}
    # nothing blocks (1/3 and 0.5 are below 0.6): one way in, which stays open
    assert (scenario_data["open_routes"], scenario_data["open_routes_after_plan"]) == (1, 1)
    assert step["routes"] == {"s": [1, 1]}
    assert json.loads(json.dumps(data)) == data


def test_exposures_with_each_control_is_the_exposure_with_that_control_alone_in_place():
    from apps.scoring.engine import exposures_with_each_control

    controls = [control("A"), control("B"), control("C"), control("OFF")]
    # AND(OR(l1[A .9], l2[B .5]), l3[C .3]) with B partly, C in place
    tree = AND("r", OR("o", leaf("l1", A=0.9), leaf("l2", B=0.5)), leaf("l3", C=0.3))
    compiled = compile_pack(pack(controls, [scenario("s", tree)]))
    answers = {"B": "partly", "C": "yes"}
    got = exposures_with_each_control(compiled, answers, MP)
    assert set(got) == {"A", "B"}  # C is in place, OFF is on no tree
    for control_id, row in got.items():
        alone = evaluate(compiled, {**answers, control_id: "yes"}, MP, with_plan=False)
        assert row == {"s": pytest.approx(alone.scenarios[0].exposure, abs=1e-12)}
    # A: l1 = 0.1, l2 = 0.75: OR = 1 − 0.9 × 0.25 = 0.775; × 0.7 = 0.5425
    assert got["A"]["s"] == pytest.approx(0.5425)


def test_an_answer_moving_from_na_to_partly_never_raises_open_routes():
    # Regression: with "can lower" judged on the controls the plan may still use, A at
    # "na" made its route a certain one nothing could lower (the OR trap: 1.0), and A at
    # "partly" lifted the trap (0.5 + 1 = 1.5). "Can lower" is now judged on levels alone.
    controls = [control("A"), control("B")]
    tree = OR("r", leaf("l1", A=0.9), leaf("l2", B=0.9))
    na = score(controls, tree, {"A": "na", "B": "no"}, with_plan=False).scenarios[0]
    partly = score(controls, tree, {"A": "partly", "B": "no"}, with_plan=False).scenarios[0]
    assert partly.open_routes <= na.open_routes
    assert (na.open_routes, partly.open_routes) == (2.0, 1.5)
