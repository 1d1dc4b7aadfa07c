"""The 2026.2 catalogue, judged the way an NCSC adviser would (issue 14, point 8).

Four people: a wide-open MP (every answer at its worst), a typical MP (personal Gmail
with text-message codes, work account with MFA, family not briefed, remote pictures on,
everything else "partly"), a staffer (no 2-step verification on personal email, office
MFA on, everything else "partly") and the Electoral Commission in 2021 and after its
remediation; plus a small electoral services team whose IT a supplier runs.

Their plans must open by closing ways in (accounts, devices, remote pictures, the
family), never with detection, response or vigilance alone; and the numbers that each
scenario's `bands_reason` quotes are recomputed here, so the text cannot go stale.
"""

from __future__ import annotations

import pytest

from apps.scoring import engine
from tests.scoring.packs import shipped_pack_content

# Calibrated against engine 2 (issue 13: open routes, the two-phase plan, answers that
# remove a surface).
HRI = "high-risk-individuals-2026.2"
EB = "election-bodies-2026.2"

# Vigilance, detection and response: they slow an attacker or shorten a stay.
NOT_PROTECTION = {"I-EML-02", "I-EML-03", "I-ACC-05", "I-ACC-07", "I-RSP-01", "O-EM-03", "O-IR-01"}
# Closing ways in: accounts and devices, remote pictures off, the family briefed.
PROTECTION = {
    "I-ACC-01", "I-ACC-02", "I-ACC-03", "I-ACC-06", "I-ACC-08", "I-MSG-01", "I-WEB-01",
    "I-DEV-01", "I-DEV-02", "I-DEV-04", "I-NET-01", "I-NET-02", "O-ID-01", "O-ID-04",
    "O-DV-01", "I-EML-01", "I-FAM-01",
}  # fmt: skip
ICO_PAIR = {"O-ID-04", "E-VM-02"}  # "highly likely this breach would not have happened"


@pytest.fixture(scope="module")
def individuals():
    return engine.compile_pack(shipped_pack_content(HRI))


@pytest.fixture(scope="module")
def election():
    return engine.compile_pack(shipped_pack_content(EB))


def _scored(control):
    return {k: v for k, v in control.levels.items() if v is not None and k != "unsure"}


def worst(pack) -> dict[str, str]:
    """Every answer at its worst: the lowest level each question offers."""
    return {c.id: min(_scored(c), key=lambda k: (_scored(c)[k], k)) for c in pack.controls}


def middling(pack) -> dict[str, str]:
    """'Partly' wherever it is offered, else the option nearest half-done (the lower one)."""
    answers = {}
    for c in pack.controls:
        levels = _scored(c)
        answers[c.id] = (
            "partly"
            if "partly" in levels
            else min(levels, key=lambda k: (abs(levels[k] - 0.5), levels[k]))
        )
    return answers


def best(pack) -> dict[str, str]:
    return {c.id: next(k for k, v in c.levels.items() if v == 1.0) for c in pack.controls}


def typical_mp(pack):
    return {
        **middling(pack),
        "I-ACC-01": "yes",  # personal Gmail has 2-step verification...
        "I-ACC-02": "sms_only",  # ...by text message
        "O-ID-01": "yes",  # the work account has MFA
        "I-FAM-01": "no",  # family not briefed
        "I-EML-01": "no",  # remote pictures load
    }


def staffer(pack):
    return {**middling(pack), "I-ACC-01": "no", "I-ACC-02": "none", "O-ID-01": "yes"}


DETECTION_AND_RESPONSE = ("I-ACC-05", "I-ACC-07", "I-EML-03", "I-RSP-01", "O-EM-03", "O-IR-01")

# The Electoral Commission, August 2021 (DOMAIN.md section 4; tests/scoring/test_replays.py),
# with guesses for the controls 2026.2 added: nothing documents them either way.
COMMISSION_2021 = {
    "E-VM-02": "no", "E-VM-04": "no", "E-VM-03": "no", "O-DV-01": "no", "O-ID-04": "no",
    "E-AC-03": "no", "E-AC-01": "no", "E-MO-02": "no", "E-MO-03": "no", "E-IR-01": "no",
    "E-VM-05": "no", "E-MO-04": "no", "E-DS-01": "no", "E-GV-01": "no",
    # not documented either way
    "E-VM-01": "no", "O-ID-02": "partly", "O-ID-03": "unsure", "E-AC-02": "no",
    "E-MO-01": "partly", "E-IR-02": "no", "E-DS-02": "no", "E-NW-01": "no",
    "O-EM-01": "partly", "O-EM-02": "partly", "O-EM-03": "no", "O-TR-01": "partly",
    "O-DV-02": "no", "E-GV-02": "no", "E-SC-01": "partly", "E-BK-01": "partly",
    "E-DD-01": "partly",
}  # fmt: skip
# What the Commission says it has done since (DOMAIN.md section 4.4). Assumed, not sourced:
# the rebuild "from the ground up" replaced the out-of-support laptops and phones that
# failed Cyber Essentials in 2021 (E-VM-03, O-DV-01); without that the baseline is not
# met and the pack's floor holds every band at high.
COMMISSION_REMEDIATED = {
    **COMMISSION_2021,
    **dict.fromkeys(
        ("E-VM-04", "E-AC-01", "O-ID-04", "E-AC-03", "E-VM-02", "E-MO-01", "E-MO-02",
         "E-MO-03", "E-MO-04", "E-IR-01", "O-TR-01", "E-VM-03", "O-DV-01"),
        "yes",
    ),
}  # fmt: skip


def outsourced_team(pack):
    """A small electoral services team whose IT a supplier runs: it cannot answer the
    technical questions, has never put security into the supplier's contract, and has
    done a little of what is in its own hands."""
    answers = {c.id: "unsure" for c in pack.controls}
    answers.update({"E-SC-01": "no", "O-TR-01": "partly", "E-DS-01": "partly", "E-IR-02": "partly"})
    return answers


def _scenario(result, scenario_id):
    return next(s for s in result.scenarios if s.id == scenario_id)


def _first(result, n):
    return [set(step.controls) for step in result.plan[:n]]


# --- the individuals' pack --------------------------------------------------------------
PERSONAS = {
    "wide-open MP": (worst, "parliamentarian"),
    "typical MP": (typical_mp, "parliamentarian"),
    "staffer": (staffer, "staff"),
}


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_the_first_three_steps_close_ways_in(individuals, persona):
    answers, audience = PERSONAS[persona]
    result = engine.evaluate(individuals, answers(individuals), audience)

    first_three = _first(result, 3)
    assert len(first_three) == 3
    for controls in first_three:
        assert controls <= PROTECTION, f"{persona}: {controls} is not protection"
        assert not controls & NOT_PROTECTION


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_vigilance_detection_and_response_come_after_every_way_in_is_closed(individuals, persona):
    answers, audience = PERSONAS[persona]
    result = engine.evaluate(individuals, answers(individuals), audience)

    first_watching = next(
        (i for i, step in enumerate(result.plan) if set(step.controls) & NOT_PROTECTION),
        len(result.plan),
    )
    # from there on no step closes another way in: open routes stay where they are
    for step in result.plan[first_watching:]:
        assert all(before == after for before, after in step.routes.values()), step.controls


def test_pictures_off_and_the_family_come_early_for_a_typical_mp(individuals):
    result = engine.evaluate(individuals, typical_mp(individuals), "parliamentarian")
    early = set().union(*_first(result, 3))
    assert {"I-EML-01", "I-FAM-01"} <= early


def test_detection_and_response_alone_leave_a_wide_open_mp_exposed(individuals):
    answers = {**worst(individuals), **dict.fromkeys(DETECTION_AND_RESPONSE, "yes")}
    result = engine.evaluate(individuals, answers, "parliamentarian")
    assert _scenario(result, "apt31-recon").exposure >= 0.5


def test_blocking_remote_pictures_counts_against_the_reconnaissance(individuals):
    # The reconnaissance is the documented UK harm: pictures off lowers the exposure
    # even while every compromise route stays open.
    answers = typical_mp(individuals)
    before = _scenario(engine.evaluate(individuals, answers, "parliamentarian"), "apt31-recon")
    after = _scenario(
        engine.evaluate(individuals, {**answers, "I-EML-01": "yes"}, "parliamentarian"),
        "apt31-recon",
    )
    assert after.exposure < before.exposure


@pytest.mark.parametrize(
    ("control", "absent"),
    [("I-FAM-01", "live_alone"), ("I-NET-01", "no_router"), ("I-WEB-01", "no_website")],
)
def test_an_absent_surface_closes_its_route_where_does_not_apply_would_not(
    individuals, control, absent
):
    answers = typical_mp(individuals)
    worst_case = {**answers, control: worst(individuals)[control]}
    with_surface = _scenario(
        engine.evaluate(individuals, worst_case, "parliamentarian"), "apt31-recon"
    )
    without = _scenario(
        engine.evaluate(individuals, {**answers, control: absent}, "parliamentarian"), "apt31-recon"
    )
    assert without.open_routes < with_surface.open_routes
    assert without.exposure < with_surface.exposure


# --- the election bodies' pack ----------------------------------------------------------
def test_the_commissions_2021_posture_is_critical_with_the_ico_pair_first(election):
    result = engine.evaluate(election, COMMISSION_2021, "election_official")
    assert _scenario(result, "ec-compromise").band == "critical"
    assert result.baseline_met is False
    assert set().union(*_first(result, 2)) == ICO_PAIR


def test_the_commission_after_its_remediation_is_low(election):
    result = engine.evaluate(election, COMMISSION_REMEDIATED, "election_official")
    assert _scenario(result, "ec-compromise").band == "low"


def test_a_small_outsourced_team_is_told_to_hold_its_supplier_to_the_bar(election):
    result = engine.evaluate(election, outsourced_team(election), "election_official")
    assert any("E-SC-01" in controls for controls in _first(result, 3))


def test_the_supplier_route_is_on_the_trees_so_its_absence_matters(election):
    answers = {**COMMISSION_REMEDIATED, "E-SC-01": "no"}
    with_supplier = engine.evaluate(election, answers, "election_official")
    without = engine.evaluate(election, {**answers, "E-SC-01": "no_suppliers"}, "election_official")
    assert (
        _scenario(without, "ec-compromise").exposure
        < _scenario(with_supplier, "ec-compromise").exposure
    )


# --- bands_reason states the numbers this test computes ---------------------------------
# (pack, scenario, the phrase in bands_reason with {} for the figure, answers, audience)
BAND_FIGURES = [
    (HRI, "apt31-recon", "every answer at its worst scores {}", worst, "parliamentarian"),
    (
        HRI,
        "apt31-recon",
        "only the detection and response controls in place scores {}",
        lambda p: {**worst(p), **dict.fromkeys(DETECTION_AND_RESPONSE, "yes")},
        "parliamentarian",
    ),
    (HRI, "apt31-recon", "the typical MP of our tests scores {}", typical_mp, "parliamentarian"),
    (HRI, "apt31-recon", "everything half done scores {}", middling, "parliamentarian"),
    (HRI, "apt31-recon", "all the guidance followed scores {}", best, "parliamentarian"),
    (
        HRI,
        "apt31-recon",
        "all the individual guidance with no office scores {}",
        lambda p: {**best(p), "O-ID-01": "no_office"},
        "parliamentarian",
    ),
    (EB, "ec-compromise", "documented 2021 posture scores {}", lambda p: COMMISSION_2021, "election_official"),
    (EB, "ec-compromise", "after its stated remediation scores {}", lambda p: COMMISSION_REMEDIATED, "election_official"),
    (
        EB,
        "ec-compromise",
        "with no IT supplier able to reach its systems, both ICO fixes and nothing else score {}",
        lambda p: {c.id: "no" for c in p.controls}
        | dict.fromkeys(ICO_PAIR, "yes")
        | {"E-SC-01": "no_suppliers"},
        "election_official",
    ),
    (
        EB,
        "ec-compromise",
        "with a supplier held to no security bar, they score {}",
        lambda p: {c.id: "no" for c in p.controls} | dict.fromkeys(ICO_PAIR, "yes"),
        "election_official",
    ),
    (EB, "election-ransomware", "the Commission's 2021 posture scores {}", lambda p: COMMISSION_2021, "election_official"),
    (EB, "election-ransomware", "everything half done scores {}", middling, "election_official"),
    (EB, "election-ransomware", "everything in place scores {}", best, "election_official"),
    (EB, "election-ddos", "nothing in place scores {}", worst, "election_official"),
    (EB, "election-ddos", "everything half done scores {}", middling, "election_official"),
    (EB, "election-ddos", "everything in place scores {}", best, "election_official"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("pack_id", "scenario_id", "phrase", "answers", "audience"),
    [pytest.param(*row, id=f"{row[1]}: {row[2][:-3]}") for row in BAND_FIGURES],
)
def test_bands_reason_states_the_numbers_the_engine_gives(
    pack_id, scenario_id, phrase, answers, audience
):
    content = shipped_pack_content(pack_id)
    pack = engine.compile_pack(content)
    exposure = _scenario(
        engine.evaluate(pack, answers(pack), audience, with_plan=False), scenario_id
    ).exposure
    reason = " ".join(
        next(s for s in content["scenarios"] if s["id"] == scenario_id)["bands_reason"].split()
    )
    assert phrase.format(f"{exposure:.2f}").lower() in reason.lower()


def test_the_ico_pair_first_survives_calibration_jitter_in_nearly_every_draw():
    # Robustness as a rate (ARCHITECTURE.md section 4): every mitigation's effectiveness
    # scaled by up to ±25 % (fixed seed); the Commission's 2021 plan must still open with
    # patching and an end to initial passwords in at least 95 of 100 draws. (The misses
    # are draws where privileged-access tiering, at 0.6 on credential harvesting, falls
    # below the blocking threshold and MFA on remote access ties with initial passwords.)
    import copy
    import random

    from apps.catalogue.schema import iter_tree

    rng = random.Random(2026_2)
    content = shipped_pack_content(EB)
    kept = 0
    for _ in range(100):
        jittered = copy.deepcopy(content)
        for scenario in jittered["scenarios"]:
            for node, _ in iter_tree(scenario["tree"]):
                for m in node.get("mitigations", []):
                    m["effectiveness"] = min(1.0, m["effectiveness"] * rng.uniform(0.75, 1.25))
        result = engine.evaluate(
            engine.compile_pack(jittered), COMMISSION_2021, "election_official"
        )
        kept += set().union(*_first(result, 2)) == ICO_PAIR
    assert kept >= 95
