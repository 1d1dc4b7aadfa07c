"""Replays of documented cases on the shipped packs (DOMAIN.md §3-4, §8-9).

The answers below describe what the sources say; where they are silent, the answer
is a guess, and the tests check that the conclusions do not hinge on those guesses.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.scoring import engine
from apps.scoring.services import score_record
from tests.scoring.packs import shipped_pack_content
from tests.scoring.personas import COMMISSION_2021

ICO_PAIR = {"O-ID-04", "E-VM-02"}  # "highly likely this breach would not have happened"

COMMISSION_UNDOCUMENTED = (
    "E-VM-01", "O-ID-02", "O-ID-03", "E-AC-02", "E-MO-01", "E-IR-02", "E-DS-02",
    "E-NW-01", "O-EM-01", "O-EM-02", "O-EM-03", "O-TR-01", "O-DV-02", "E-GV-02", "E-SC-01",
)  # fmt: skip

# What the Commission says it has done since (DOMAIN.md §4.4): cloud mail, MFA enforced,
# stronger password controls, E5 with 24/7 monitoring, Early Warning, training; the
# ICO's two findings addressed; investigations now scoped fully with NCSC.
COMMISSION_REMEDIATED = {
    **COMMISSION_2021,
    "E-VM-04": "yes",
    "E-AC-01": "yes",
    "O-ID-04": "yes",
    "E-AC-03": "yes",
    "E-VM-02": "yes",
    "E-MO-01": "yes",
    "E-MO-02": "yes",
    "E-MO-03": "yes",
    "E-MO-04": "yes",
    "E-IR-01": "yes",
    "O-TR-01": "yes",
}


@pytest.fixture(scope="module")
def commission():
    return engine.compile_pack(shipped_pack_content("election-bodies"))


@pytest.fixture(scope="module")
def individuals():
    return engine.compile_pack(shipped_pack_content("high-risk-individuals"))


def _scenario(result, scenario_id):
    return next(s for s in result.scenarios if s.id == scenario_id)


def test_the_commissions_2021_posture_is_critical(commission):
    result = engine.evaluate(commission, COMMISSION_2021, "election_official")
    assert _scenario(result, "ec-compromise").band == "critical"
    assert result.baseline_met is False
    assert {"O-ID-04", "E-VM-02", "E-AC-01"} <= set(result.critical_gaps)


def _first_two(result) -> set[str]:
    """The controls of the plan's first two steps (engine 2 closes ways in one control
    at a time; engine 1 proposed the ICO's pair as one step)."""
    first, second = result.plan[:2]
    assert len(first.controls) == len(second.controls) == 1
    return {*first.controls, *second.controls}


def test_the_2021_plan_starts_with_initial_passwords_and_patching(commission):
    result = engine.evaluate(commission, COMMISSION_2021, "election_official")
    assert _first_two(result) == ICO_PAIR
    first, second = result.plan[:2]
    # initial passwords first: cheap, and it closes both password routes (into webmail,
    # and to domain credentials); then patching closes the last way in
    assert first.controls == ("O-ID-04",)
    routes_before, routes_between = first.routes["ec-compromise"]
    assert routes_between < routes_before
    assert second.routes["ec-compromise"][1] == 0
    before = first.cuts["ec-compromise"][0]
    after = second.cuts["ec-compromise"][1]
    assert after < before / 2  # the pair more than halves the exposure on its own


def _mitigations(node):
    yield from node.get("mitigations", [])
    for child in node.get("children", []):
        yield from _mitigations(child)


EC_CONTENT = shipped_pack_content("election-bodies")
EC_MITIGATIONS = sum(len(list(_mitigations(s["tree"]))) for s in EC_CONTENT["scenarios"])


# A result that holds only at the exact calibrated numbers is tuning, not a model: every
# effectiveness of the shipped pack moves by up to 25 % either way, independently. The
# examples are derandomised (a fixed seed, no example database), so the run is the same
# everywhere.
@settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.floats(0.75, 1.25), min_size=EC_MITIGATIONS, max_size=EC_MITIGATIONS))
def test_the_2021_plan_survives_calibration_jitter(factors):
    content = copy.deepcopy(EC_CONTENT)
    jitter = iter(factors)
    for scenario in content["scenarios"]:
        for mitigation in _mitigations(scenario["tree"]):
            mitigation["effectiveness"] = min(1.0, mitigation["effectiveness"] * next(jitter))
    result = engine.evaluate(engine.compile_pack(content), COMMISSION_2021, "election_official")
    assert _first_two(result) == ICO_PAIR


def test_the_ico_pair_and_the_commissions_own_fix_are_cut_sets(commission):
    result = engine.evaluate(commission, COMMISSION_2021, "election_official")
    cut_sets = [set(cut) for cut in _scenario(result, "ec-compromise").cut_sets]
    assert ICO_PAIR in cut_sets
    assert {"E-VM-04", "E-AC-01"} in cut_sets  # cloud mail + MFA (DOMAIN.md §6.2)


@pytest.mark.parametrize("control_id", COMMISSION_UNDOCUMENTED)
@pytest.mark.parametrize("answer", ["no", "partly", "unsure"])
def test_the_2021_conclusions_do_not_hinge_on_undocumented_answers(commission, control_id, answer):
    result = engine.evaluate(
        commission, {**COMMISSION_2021, control_id: answer}, "election_official"
    )
    assert _scenario(result, "ec-compromise").band == "critical"
    assert _first_two(result) == ICO_PAIR


def test_the_commission_after_its_remediation_is_low(commission):
    before = engine.evaluate(commission, COMMISSION_2021, "election_official")
    after = engine.evaluate(commission, COMMISSION_REMEDIATED, "election_official")
    assert _scenario(after, "ec-compromise").band == "low"
    assert (
        _scenario(after, "ec-compromise").exposure
        < _scenario(before, "ec-compromise").exposure / 100
    )


def _individual_guidance(pack) -> dict[str, str]:
    answers = {}
    for control in pack.controls:
        if control.id.startswith("I-"):
            full = [k for k, level in control.levels.items() if level == 1.0]
            answers[control.id] = full[0]
    return answers


@pytest.mark.parametrize("office", ["no office", "office follows its guidance too"])
def test_an_mp_following_the_individual_guidance_is_low(individuals, office):
    answers = _individual_guidance(individuals)
    if office == "no office":
        answers["O-ID-01"] = "no_office"
    else:
        answers.update({c.id: "yes" for c in individuals.controls if c.id.startswith("O-")})
    result = engine.evaluate(individuals, answers, "parliamentarian")
    assert _scenario(result, "apt31-recon").band == "low"


# An MP in 2021 (DOMAIN.md §6.2 worked profile): 2-step verification by SMS codes on
# personal email, mail apps loading remote images (the tracking pixel works), and a
# family nobody has briefed. Nothing else answered.
MP_2021 = {"I-ACC-01": "yes", "I-ACC-02": "sms_only", "I-EML-01": "no", "I-FAM-01": "no"}


@pytest.mark.parametrize("audience", ["parliamentarian", "peer", "candidate"])
def test_an_mp_with_sms_codes_loading_images_and_an_unbriefed_family_is_high_or_worse(
    individuals, audience
):
    result = engine.evaluate(individuals, MP_2021, audience)
    assert _scenario(result, "apt31-recon").band in ("high", "critical")
    # and every other control answered "no" changes nothing about that
    all_no = {c.id: "no" for c in individuals.controls if "no" in c.levels}
    worse = engine.evaluate(individuals, {**all_no, **MP_2021}, audience)
    assert _scenario(worse, "apt31-recon").band in ("high", "critical")


def test_following_the_mps_plan_brings_apt31_exposure_down_to_low(individuals):
    result = engine.evaluate(individuals, MP_2021, "parliamentarian")
    scenario = next(s for s in individuals.scenarios if s.id == "apt31-recon")
    moderate = {name: lower for lower, name in scenario.bands}["moderate"]
    assert _scenario(result, "apt31-recon").exposure_after_plan < moderate


@pytest.mark.django_db
def test_a_stored_commission_assessment_scores_critical(shipped_pack, assessment_with):
    pack = shipped_pack("election-bodies")
    assessment = assessment_with(pack, COMMISSION_2021, audience="election_official")
    score = score_record(assessment=assessment)
    assert score.bands == {"ec-compromise": "critical"}
    assert score.baseline_met is False
    first, second = score.result["plan"][:2]
    assert {*first["controls"], *second["controls"]} == ICO_PAIR
    assert score.result["scenarios"][0]["open_routes"] > 0
    assert second["routes"]["ec-compromise"][1] == 0
