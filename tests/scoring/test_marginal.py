"""Per-control marginal cuts: computed through the engine, stored with each Score."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apps.catalogue.schema import validate_pack
from apps.scoring import engine
from apps.scoring.marginal import marginal_cuts
from apps.scoring.models import Score, ScoreControlCut
from tests.catalogue.packs import minimal_pack_data
from tests.scoring.draft_pack import draft_pack_content
from tests.scoring.packs import PACKS_DIR

ALL_NO = {"T-ACC-01": "no", "T-ACC-02": "no", "T-ACC-03": "no", "T-DEV-01": "no", "T-GOV-01": "no"}


def _cuts(answers, audience="staff"):
    pack = engine.compile_pack(minimal_pack_data())
    return {c.control: round(c.cut, 6) for c in marginal_cuts(pack, answers, audience)}


def test_each_cut_is_the_exposure_fall_with_that_control_alone_in_place():
    # Everything "no": exposure 1 × 1 × 0.5 = 0.5 (see tests/compliance for the sums).
    assert _cuts(ALL_NO) == {
        "T-ACC-01": 0.45,
        "T-ACC-02": 0.105,
        "T-ACC-03": 0.0,
        "T-DEV-01": 0.35,
        "T-GOV-01": 0.0,
    }


def test_controls_in_place_not_applicable_or_hidden_get_no_row():
    cuts = _cuts({**ALL_NO, "T-ACC-01": "yes", "T-ACC-02": "sometimes"})
    assert "T-ACC-01" not in cuts  # fully in place
    assert "T-ACC-02" in cuts  # half in place: still lacking
    assert "T-DEV-02" not in _cuts({**ALL_NO, "T-DEV-01": "yes"})  # staff never see it
    assert "T-DEV-01" not in _cuts({**ALL_NO, "T-DEV-01": "na"})


def test_unsure_and_unanswered_count_as_lacking():
    cuts = _cuts({"T-ACC-01": "unsure"})
    assert cuts["T-ACC-01"] == 0.45
    assert "T-DEV-01" in cuts


@pytest.mark.django_db
def test_score_record_stores_the_cuts_with_the_score(alice, submit):
    assessment = submit(alice)
    score = Score.objects.get(assessment=assessment)
    assert score.control_cuts_recorded
    stored = dict(ScoreControlCut.objects.filter(score=score).values_list("control_key", "cut"))
    from apps.scoring.selectors import answers_for, compiled_pack_for

    expected = marginal_cuts(
        compiled_pack_for(assessment.pack), answers_for(assessment=assessment), assessment.audience
    )
    assert stored == {c.control: c.cut for c in expected}


@pytest.mark.django_db
def test_the_backfill_fills_in_older_scores_once(alice, submit):
    from apps.scoring.services import score_control_cuts_backfill

    assessment = submit(alice)
    score = Score.objects.get(assessment=assessment)
    ScoreControlCut.objects.filter(score=score).delete()
    Score.objects.filter(pk=score.pk).update(control_cuts_recorded=False)

    assert score_control_cuts_backfill() == 1
    assert score_control_cuts_backfill() == 0
    assert ScoreControlCut.objects.filter(score=score).exists()


# --- the shortcuts give the brute-force cuts, to the bit ---------------------------------


def _validated(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return json.loads(json.dumps(validate_pack(raw)))


SHIPPED_PACKS = {
    path.stem: compile_pack_content
    for path in sorted(PACKS_DIR.glob("*.yaml"))
    for compile_pack_content in [engine.compile_pack(_validated(path))]
}
SHIPPED_PACKS["draft"] = engine.compile_pack(draft_pack_content())


def _brute_force_cuts(pack, answers, audience):
    """The definition: one full engine run per control not fully in place."""

    def mean(result):
        if not result.scenarios:
            return 0.0
        return sum(s.exposure for s in result.scenarios) / len(result.scenarios)

    before = mean(engine.evaluate(pack, answers, audience, with_plan=False))
    visible = set(engine.visible_controls(pack, answers, audience))
    rows = []
    for control in pack.controls:
        if control.id not in visible:
            continue
        full = max(
            (k for k, v in control.levels.items() if v is not None),
            key=lambda k: control.levels[k],
            default=None,
        )
        if full is None:
            continue
        key = answers.get(control.id)
        if key is not None and key != "unsure":
            level = control.levels.get(key)
            if level is None or level >= control.levels[full]:
                continue
        after = mean(
            engine.evaluate(pack, {**answers, control.id: full}, audience, with_plan=False)
        )
        cut = before - after
        rows.append((control.id, control.effort, control.weight, cut if cut > 1e-9 else 0.0))
    return rows


@st.composite
def _shipped_cases(draw):
    name = draw(st.sampled_from(sorted(SHIPPED_PACKS)))
    pack = SHIPPED_PACKS[name]
    answers = {}
    for control in pack.controls:
        choice = draw(st.sampled_from([*control.levels, None, None]))
        if choice is not None:
            answers[control.id] = choice
    return pack, answers, draw(st.sampled_from(pack.audiences))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_shipped_cases())
def test_the_cuts_equal_the_brute_force_ones_on_every_shipped_pack(case):
    pack, answers, audience = case
    expected = _brute_force_cuts(pack, answers, audience)
    got = marginal_cuts(pack, answers, audience)
    assert [(c.control, c.effort, c.weight, c.cut) for c in got] == expected
    current = engine.evaluate(pack, answers, audience)
    assert marginal_cuts(pack, answers, audience, current=current) == got


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_shipped_cases())
def test_scenario_exposures_are_evaluates_numbers(case):
    pack, answers, audience = case
    full = engine.evaluate(pack, answers, audience, with_plan=False)
    assert [(s.id, s.title, s.exposure, s.score, s.band) for s in full.scenarios] == [
        (s.id, s.title, s.exposure, s.score, s.band)
        for s in engine.scenario_exposures(pack, answers, audience)
    ]
