"""From a Score snapshot to the report's HTML and PDF, through one template.

`report_document` gathers what the report says (from the Score row's result, the pinned
pack's content and the person's answers) into plain dicts; `reports/report.html` lays it
out; WeasyPrint turns the same HTML into the PDF, loading assets only through
`ReportAssetFetcher`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from django.utils.safestring import mark_safe

from apps.assessments.questionnaire import (
    plain_control_refs,
    questionnaire_for,
    sentence_join,
)
from apps.assessments.results import choose_stoppers
from apps.assessments.selectors import (
    answer_keys,
    answers_for_assessment,
    verified_controls,
    visible_control_ids,
)
from apps.reports.fetcher import ASSET_BASE_URL, ReportAssetFetcher
from apps.reports.glossary import GLOSSARY
from apps.scoring.selectors import band_floor_note
from apps.scoring.wording import ways_in_closed, ways_in_open

STYLESHEET = "reports/report.css"
SUMMARY_ACTIONS = 3
STOPPERS_SHOWN = 3  # the smallest cut sets: the clearest "what would have stopped it"


@dataclass(frozen=True)
class RenderedReport:
    html: bytes
    pdf: bytes


def _percent(value: float | None) -> int | None:
    return None if value is None else int(round(value * 100))


def _controls_by_id(content: dict) -> dict[str, dict]:
    controls = {}
    for section in content.get("sections", []):
        for control in section.get("controls", []):
            controls[control["id"]] = {**control, "section_title": section["title"]}
    return controls


def _plan(result: dict, controls: dict, sources: dict, scenario_titles: dict) -> list[dict]:
    """The ranked plan. Sources are numbered in order of first citation (`sources` collects
    the cited ones, numbered, for the list at the end)."""
    pack_sources = dict(sources)
    sources.clear()
    steps = []
    for number, step in enumerate(result.get("plan", []), start=1):
        parts = []
        for control_id in step["controls"]:
            control = controls.get(control_id, {"id": control_id, "title": control_id})
            titles = {cid: c.get("title", cid) for cid, c in controls.items()}
            cited = []
            for reference in control.get("references", []):
                if reference in pack_sources:
                    if reference not in sources:
                        sources[reference] = {
                            **pack_sources[reference],
                            "number": len(sources) + 1,
                        }
                    cited.append(sources[reference])
            parts.append(
                {
                    "id": control_id,
                    "title": control.get("title", control_id),
                    "effort": control.get("effort", ""),
                    "critical": control.get("critical", False),
                    "remediation": [
                        plain_control_refs(text, titles) for text in control.get("remediation", [])
                    ],
                    "sources": cited,
                }
            )
        cuts = [
            {
                # With one scenario its title is on every page already: "exposure" will do.
                "scenario": scenario_titles.get(scenario_id, scenario_id)
                if len(scenario_titles) > 1
                else "exposure",
                "before": _percent(before),
                "after": _percent(after),
            }
            for scenario_id, (before, after) in step.get("cuts", {}).items()
        ]
        # engine 2: "closes 1 of 3 ways in" (a step stored by engine 1 has no routes)
        ways_in = [
            (
                f"{scenario_titles.get(scenario_id, scenario_id)}: {ways_in_closed(before, after)}"
                if len(scenario_titles) > 1
                else ways_in_closed(before, after)
            )
            for scenario_id, (before, after) in step.get("routes", {}).items()
            if ways_in_closed(before, after)
        ]
        steps.append(
            {
                "number": number,
                "title": step["title"],
                "controls": parts,
                "cuts": cuts,
                "ways_in": ways_in,
                # Worded as on the results page: "low and medium".
                "effort": " and ".join(
                    sorted({part["effort"] for part in parts if part["effort"]})
                ),
                "critical": any(part["critical"] for part in parts),
            }
        )
    return steps


def _scenarios(result: dict, content: dict, controls: dict) -> list[dict]:
    raw = {scenario["id"]: scenario for scenario in content.get("scenarios", [])}
    scenarios = []
    for index, scenario in enumerate(result.get("scenarios", [])):
        pack_scenario = raw.get(scenario["id"], {})
        story = [
            {
                "title": leaf["title"],
                "likelihood": _percent(leaf["p"]),
                "open_controls": [controls.get(c, {}).get("title", c) for c in leaf["controls"]],
            }
            for leaf in scenario.get("route", [])
        ]
        scenarios.append(
            {
                "id": scenario["id"],
                "title": scenario["title"],
                "summary": pack_scenario.get("summary", ""),
                "band": scenario["band"],
                "score": scenario["score"],
                "exposure": scenario["exposure"],
                "exposure_after_plan": scenario["exposure_after_plan"],
                "score_after_plan": _percent(scenario["exposure_after_plan"]),
                "ways_in": ways_in_open(scenario["open_routes"])
                if "open_routes" in scenario
                else "",
                "ways_in_after_plan": ways_in_open(scenario["open_routes_after_plan"])
                if "open_routes_after_plan" in scenario
                else "",
                "bands": pack_scenario.get("bands", {}),
                "floor": band_floor_note(
                    content=content,
                    scenario=scenario,
                    baseline_met=result.get("baseline_met", True),
                ),
                # The same element ids as on the results page: the charts are the same SVG.
                "gauge_id": f"gauge-{index}",
                "chart_id": f"exposure-chart-{index}",
                "story": story,
                # The same choice as on the results page: the smallest few, one of them
                # from the plan's first steps, in plain words.
                "stoppers": [
                    sentence_join([controls.get(c, {}).get("title", c) for c in cut])
                    for cut, _ in choose_stoppers(
                        scenario.get("cut_sets", []),
                        [set(step["controls"]) for step in result.get("plan", [])[:3]],
                        STOPPERS_SHOWN,
                    )
                ],
            }
        )
    return scenarios


def _answer_table(assessment) -> list[dict]:
    """Every question this person was asked, in questionnaire order, with answer and note."""
    questionnaire = questionnaire_for(assessment.pack)
    answers = answers_for_assessment(assessment=assessment)
    asked = set(visible_control_ids(assessment=assessment, answer_map=answer_keys(answers)))
    confirmed = verified_controls(assessment=assessment, answer_map=answer_keys(answers))
    sections = []
    for section in questionnaire.sections:
        rows = []
        for control_id in section.control_ids:
            if control_id not in asked:
                continue  # not for this audience, or hidden by an earlier answer
            question = questionnaire.questions[control_id]
            answer = answers.get(control_id)
            option = question.option(answer.answer_key) if answer else None
            rows.append(
                {
                    "id": control_id,
                    "question": question.question,
                    "answer": (option.label if option else answer.answer_key)
                    if answer
                    else "Not answered",
                    "find_out": bool(option and option.is_unsure),
                    "note": answer.note if answer else "",
                    # Confirmed by the person's IT team through an API key (verified).
                    "verified": confirmed.get(control_id),
                }
            )
        if rows:
            sections.append({"title": section.title, "rows": rows})
    return sections


def report_document(report) -> dict:
    """Everything the report template shows, from the report's Score snapshot."""
    assessment = report.assessment
    score = report.score
    pack = score.pack
    content = pack.content
    result = score.result
    controls = _controls_by_id(content)
    sources = {source["id"]: source for source in content.get("sources", [])}
    scenarios = _scenarios(result, content, controls)
    scenario_titles = {scenario["id"]: scenario["title"] for scenario in scenarios}
    plan = _plan(result, controls, sources, scenario_titles)  # keeps only cited sources
    questions = questionnaire_for(pack).questions
    for step in plan:
        for part in step["controls"]:
            question = questions.get(part["id"])
            part["why"] = question.why if question else ""
    person = assessment.user
    answer_sections = _answer_table(assessment)
    return {
        "report": report,
        "person": {"name": person.display_name, "email": person.email},
        "organisation": assessment.organisation.name,
        "date": timezone.localdate(report.started_at or timezone.now()),
        "pack": {"title": pack.title, "version": pack.version, "label": pack.label},
        "engine_version": score.engine_version,
        "scenarios": scenarios,
        "baseline_met": result.get("baseline_met", True),
        "critical_gaps": [
            controls.get(c, {}).get("title", c) for c in result.get("critical_gaps", [])
        ],
        "find_out": [controls.get(c, {}).get("title", c) for c in result.get("find_out", [])],
        "top_actions": plan[:SUMMARY_ACTIONS],
        "plan": plan,
        "closes_routes_first": any("routes" in step for step in result.get("plan", [])),
        "answer_sections": answer_sections,
        "verified_count": sum(1 for s in answer_sections for row in s["rows"] if row["verified"]),
        "sources": list(sources.values()),
        "glossary": GLOSSARY,
    }


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html`. Assets load only through `ReportAssetFetcher`."""
    from weasyprint import HTML

    return HTML(string=html, base_url=ASSET_BASE_URL, url_fetcher=ReportAssetFetcher()).write_pdf()


@lru_cache(maxsize=1)
def _report_css() -> str:
    """The report stylesheet's text (our own static file), for the self-contained HTML."""
    path = finders.find(STYLESHEET)
    css = Path(path).read_text(encoding="utf-8")
    if "</" in css:  # it goes inside <style>: nothing in it may close the element
        raise ValueError(f"{STYLESHEET} must not contain '</'")
    return css


def render_report(report) -> RenderedReport:
    """The report's HTML (for download) and PDF, from the same template and document.

    The two renders differ only in how the stylesheet arrives: the PDF takes it from the
    app's static files through the asset fetcher, the downloaded HTML carries it inline,
    so the file reads the same offline, years later, wherever it is opened.
    """
    document = report_document(report)
    pdf_html = render_to_string(
        "reports/report.html", {**document, "stylesheet_href": static(STYLESHEET)}
    )
    html = render_to_string(
        "reports/report.html",
        {**document, "inline_css": mark_safe(_report_css())},  # noqa: S308 - our own file
    )
    return RenderedReport(html=html.encode("utf-8"), pdf=html_to_pdf(pdf_html))
