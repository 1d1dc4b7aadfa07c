"""What the scores mean for this person: the live panel, the results page, the trend.

Reads only. The numbers come from the scoring engine (live) or the stored Score row
(results, trend); this module turns control ids into the person's own questions and
answers, so the attack story is told in their words.
"""

from __future__ import annotations

from apps.assessments import selectors
from apps.assessments.questionnaire import questionnaire_for, sentence_join
from apps.scoring import engine
from apps.scoring.selectors import (
    band_floor_note,
    compiled_pack_for,
    score_latest_for_assessment,
)
from apps.scoring.wording import ways_in_closed, ways_in_open

PLAN_SHOWN = 5


def _score(exposure: float) -> int:
    return int(exposure * 100.0 + 0.5)


def exposure_rows(*, assessment, after: dict[str, str], before: dict[str, str] | None = None):
    """Each scenario's exposure now, and where the last answer moved it from.

    The live panel needs exposures only, so the engine computes those alone (no plan,
    routes or sections: it runs twice on every answer save); the compiled pack is cached
    by the scoring app.
    """
    compiled = compiled_pack_for(assessment.pack)
    now = engine.scenario_exposures(compiled, after, assessment.audience)
    previous = {}
    if before is not None:
        if before == after:
            previous = {s.id: s.score for s in now}
        else:
            result = engine.scenario_exposures(compiled, before, assessment.audience)
            previous = {s.id: s.score for s in result}
    rows = []
    for scenario in now:
        before_score = previous.get(scenario.id, scenario.score)
        rows.append(
            {
                "id": scenario.id,
                "title": scenario.title,
                "score": scenario.score,
                "band": scenario.band,
                "before": before_score,
                "moved": before is not None and before_score != scenario.score,
            }
        )
    return rows


def _answer_label(question, key: str | None) -> str:
    if key is None:
        return "not answered"
    option = question.option(key)
    return option.label if option else key


def results_view(*, assessment) -> dict:
    """The results page: gauges, coverage, baseline, the plan and one attack story per
    scenario, from the Score recorded at submission."""
    score = score_latest_for_assessment(assessment=assessment)
    if score is None:
        return {"score": None}
    result = score.result
    questionnaire = questionnaire_for(assessment.pack)
    answer_map = selectors.answer_keys(selectors.answers_for_assessment(assessment=assessment))
    titles = {s["id"]: s["title"] for s in result["scenarios"]}

    def question(control_id):
        return questionnaire.questions.get(control_id)

    def control_title(control_id):
        q = question(control_id)
        return q.title if q else control_id

    pack_bands = {s["id"]: s.get("bands", {}) for s in score.pack.content.get("scenarios", [])}
    gauges = [
        {
            "id": s["id"],
            "title": s["title"],
            "score": s["score"],
            "band": s["band"],
            "exposure": s["exposure"],
            "exposure_after_plan": s["exposure_after_plan"],
            "bands": pack_bands.get(s["id"], {}),
            "after_plan": _score(s["exposure_after_plan"]),
            "floor": band_floor_note(
                content=score.pack.content, scenario=s, baseline_met=result["baseline_met"]
            ),
            # engine 2 and later; a score stored by engine 1 has no open routes
            "ways_in": ways_in_open(s["open_routes"]) if "open_routes" in s else "",
            "ways_in_after_plan": ways_in_open(s["open_routes_after_plan"])
            if "open_routes_after_plan" in s
            else "",
            "element_id": f"gauge-{index}",
            "chart_id": f"exposure-chart-{index}",
        }
        for index, s in enumerate(result["scenarios"])
    ]
    coverage = [
        {
            "title": s["title"],
            "percent": None if s["coverage"] is None else round(100 * s["coverage"]),
            "answered": s["answered"],
            "applicable": s["applicable"],
        }
        for s in result["sections"]
        if s["applicable"]
    ]
    plan = []
    for number, step in enumerate(result["plan"], start=1):
        controls = [question(c) for c in step["controls"] if question(c)]
        plan.append(
            {
                "number": number,
                "title": step["title"],
                "effort": " and ".join(sorted({q.effort for q in controls})) or "",
                "controls": [
                    {
                        "q": q,
                        "answered": q.id in answer_map,
                        "answer": _answer_label(q, answer_map.get(q.id)),
                        "remediation": q.remediation,
                        "why": q.why,
                    }
                    for q in controls
                ],
                "cuts": [
                    {
                        "title": titles.get(sid, sid),
                        "before": _score(before),
                        "after": _score(after),
                    }
                    for sid, (before, after) in step["cuts"].items()
                ],
                # "closes 1 of 3 ways in" per scenario where the step closes any
                "ways_in": [
                    {"title": titles.get(sid, sid), "text": ways_in_closed(before, after)}
                    for sid, (before, after) in step.get("routes", {}).items()
                    if ways_in_closed(before, after)
                ],
            }
        )
    stories = attack_stories(
        assessment=assessment,
        result=result,
        questionnaire=questionnaire,
        answer_map=answer_map,
    )
    return {
        "score": score,
        "closes_routes_first": any("routes" in step for step in result["plan"]),
        "gauges": gauges,
        "coverage": coverage,
        "baseline_met": result["baseline_met"],
        "critical_gaps": [question(c) for c in result["critical_gaps"] if question(c)],
        "find_out": [question(c) for c in result["find_out"] if question(c)],
        "unanswered_count": len(result["unanswered"]),
        # A busy person reads the first few; the rest stays one click away.
        "plan_first": plan[:PLAN_SHOWN],
        "plan_rest": plan[PLAN_SHOWN:],
        "stories": stories,
    }


STOPPERS_SHOWN = 3  # "what would have stopped it": the smallest few, in plain words
PLAN_STEPS_FOR_STOPPERS = 3  # one of them uses a control from the plan's first steps


def choose_stoppers(cut_sets, plan_first: list[set[str]], limit: int = STOPPERS_SHOWN):
    """The smallest `limit` cut sets (smallest first), of which at least one contains a
    control from the plan's first steps (`plan_first`, one set of control ids per step)
    whenever any cut set does: the story and the plan must point the same way.
    Returns `[(cut, [plan step numbers it uses])]`."""
    ordered = sorted((tuple(cut) for cut in cut_sets), key=len)

    def steps_of(cut):
        return [n for n, controls in enumerate(plan_first, start=1) if controls & set(cut)]

    chosen = ordered[:limit]
    if not any(steps_of(cut) for cut in chosen):
        for cut in ordered[limit:]:
            if steps_of(cut):
                chosen = [*chosen[: limit - 1], cut]
                break
    return [(cut, steps_of(cut)) for cut in chosen]


def applicable_cut_sets(*, assessment, scenario_id: str, applicable: set[str], fallback):
    """Every minimal cut set of the scenario (as control ids) made only of questions that
    apply to this person; `fallback` (the stored few) when the pack has no such scenario."""
    compiled = compiled_pack_for(assessment.pack)
    for scenario in compiled.scenarios:
        if scenario.id == scenario_id:
            ids = [tuple(sorted(compiled.controls[c].id for c in cut)) for cut in scenario.cut_sets]
            return [cut for cut in ids if set(cut) <= applicable]
    return [tuple(cut) for cut in fallback]


def attack_stories(*, assessment, result: dict, questionnaire, answer_map: dict) -> list[dict]:
    """One story per scenario, told from the steps the person can influence.

    The attacker's preparation (steps no question of theirs touches: picking targets,
    registering lure domains) is one line; each step after it names, in a short phrase,
    the answers that leave it open; "what would have stopped it" is the smallest one to
    three sets of protections, in plain words, one of them from the plan's first steps.
    """
    visible = set(selectors.visible_control_ids(assessment=assessment, answer_map=answer_map))
    applicable = {
        c
        for c in visible
        if not (
            (q := questionnaire.questions.get(c))
            and (o := q.option(answer_map.get(c, "")))
            and o.level is None
        )
    }
    plan_first = [set(step["controls"]) for step in result["plan"][:PLAN_STEPS_FOR_STOPPERS]]

    def title(control_id):
        q = questionnaire.questions.get(control_id)
        return q.title if q else control_id

    stories = []
    for s in result["scenarios"]:
        scenario_def = questionnaire.scenario(s["id"])
        leaf_controls = scenario_def.leaf_controls if scenario_def else {}
        preparation, steps = [], []
        for leaf in s["route"]:
            mine = [c for c in leaf_controls.get(leaf["node"], ()) if c in applicable]
            if scenario_def and not mine:
                # The attacker's own words for what they do: a node's `step` phrase says
                # what a protection does against it ("make you harder to pick out"), which
                # reads as nonsense after "the attackers prepare".
                preparation.append(leaf["title"])
                continue
            open_ids = [c for c in leaf["controls"] if c in questionnaire.questions]
            steps.append(
                {
                    "title": leaf["title"],
                    "score": _score(leaf["p"]),
                    "open": [
                        {
                            "title": title(c),
                            "answered": c in answer_map,
                            "answer": _answer_label(questionnaire.questions[c], answer_map.get(c)),
                        }
                        for c in open_ids
                    ],
                    "in_place": sentence_join([title(c) for c in mine if c not in open_ids]),
                }
            )
        cuts = applicable_cut_sets(
            assessment=assessment,
            scenario_id=s["id"],
            applicable=applicable,
            fallback=s["cut_sets"],
        )
        stories.append(
            {
                "id": s["id"],
                "title": s["title"],
                "summary": scenario_def.summary if scenario_def else "",
                "score": s["score"],
                "band": s["band"],
                "preparation": sentence_join(
                    [p[0].lower() + p[1:] if p[:2].istitle() else p for p in preparation]
                ),
                "steps": steps,
                "stoppers": [
                    {"text": sentence_join([title(c) for c in cut]), "plan_steps": numbers}
                    for cut, numbers in choose_stoppers(cuts, plan_first)
                ],
            }
        )
    return stories


def trend_for_user(*, user, assessments) -> list[dict]:
    """Each scenario's score across the person's submitted assessments, oldest first."""
    from apps.scoring.selectors import score_list_for_assessments

    submitted = sorted(
        (a for a in assessments if a.is_submitted and a.user_id == user.pk),
        key=lambda a: (a.submitted_at, a.pk),
    )
    if not submitted:
        return []
    scores = score_list_for_assessments(assessments=submitted)
    lines: dict[str, dict] = {}
    for assessment in submitted:
        score = scores.get(assessment.pk)
        if score is None:
            continue
        for s in score.result["scenarios"]:
            line = lines.setdefault(s["id"], {"title": s["title"], "values": []})
            line["values"].append(s["score"])
    return [{**line, "element_id": f"trend-{index}"} for index, line in enumerate(lines.values())]
