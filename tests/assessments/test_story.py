"""The attack story reads true (issue 15, point 1).

Before: steps 1-5 of the Commission's story were the attacker's preparation, each saying
"What you already have in place makes this step harder"; one step quoted six whole
questions in a 100-word sentence; "what would have stopped it" listed four-control chains
joined by "together with" (with "Use" capitalised mid-sentence), none from the plan's
first step.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from apps.assessments.models import Assessment
from apps.assessments.results import choose_stoppers
from apps.assessments.selectors import visible_control_ids
from apps.assessments.services import answer_save, assessment_submit
from apps.catalogue.services import pack_load_file
from apps.reports.models import RemediationReport
from apps.reports.rendering import report_document


def _mixed(control):
    keys = [a["key"] for a in control["answers"]]
    if control.get("critical"):
        return "no"
    return "yes" if "yes" in keys else keys[0]


def _submit_mixed(user, pack_file):
    """Answered as someone with a mixed posture: the critical controls not met."""
    pack = pack_load_file(settings.CATALOGUE_PACKS_DIR / pack_file).pack
    m = user.membership
    assessment = Assessment.objects.create(
        user=user, organisation=m.organisation, pack=pack, audience=m.audience
    )
    given: dict[str, str] = {}
    for _ in range(3):
        for section in pack.content["sections"]:
            for control in section["controls"]:
                if control["id"] in given:
                    continue
                if control["id"] in visible_control_ids(assessment=assessment, answer_map=given):
                    given[control["id"]] = _mixed(control)
                    answer_save(
                        actor=user,
                        assessment=assessment,
                        control_key=control["id"],
                        answer_key=given[control["id"]],
                    )
    assessment_submit(actor=user, assessment=assessment)
    return assessment


@pytest.fixture
def official_results(db, dave):
    return _submit_mixed(dave, "election-bodies.yaml")


def _story(client, assessment) -> str:
    url = reverse("assessments:results", args=[assessment.public_id])
    body = client.get(url).content.decode()
    return body.split("How the attack would unfold")[1].split("Coverage by section")[0]


def test_the_mps_story_tells_the_attackers_preparation_in_one_line(client_for, alice):
    assessment = _submit_mixed(alice, "high-risk-individuals.yaml")
    story = _story(client_for(alice), assessment)
    preparation = re.findall(r"First, the attackers prepare</strong>(.*?)</p>", story, re.S)
    assert preparation, "the preparation is told in one line per story"
    # ... and none of the steps after it claims the person's protections touch it.
    for line in preparation:
        assert "in place" not in line


def test_the_story_tells_preparation_in_one_line_and_names_answers_in_short(
    client_for, dave, official_results
):
    story = _story(client_for(dave), official_results)
    steps = re.findall(r"<li><strong>(.*?)</li>", story.split("portcullis-story__steps")[1], re.S)
    assert steps, "the steps the person can influence"
    for step in steps:
        # Each step names the answers in short phrases, never the whole question.
        assert "?" not in step, step
        assert len(re.sub(r"<[^>]+>", "", step).split()) < 70, step

    stoppers = story.split("What would have stopped it")[1].split("</ul>")[0]
    items = re.findall(r"<li>(.*?)</li>", stoppers, re.S)
    assert 1 <= len(items) <= 3
    assert "together with" not in stoppers
    assert not re.search(r"(,| and) [A-Z][a-z]", re.sub(r"<[^>]+>", "", stoppers))
    assert any("of your plan" in item for item in items)


def test_the_report_tells_the_same_stoppers_and_no_internal_ids(dave, official_results):
    report = RemediationReport.objects.get(assessment=official_results)
    document = report_document(report)
    for scenario in document["scenarios"]:
        assert 1 <= len(scenario["stoppers"]) <= 3
    text = repr(document["plan"])
    assert not re.search(r"\bsee [A-Z]-[A-Z]{2,4}-\d{2}\b", text)


def test_one_stopper_is_always_from_the_first_plan_steps_when_any_can_be():
    cuts = [("A", "B"), ("C", "D"), ("E", "F"), ("G", "H", "I"), ("X", "Y", "Z")]
    chosen = choose_stoppers(cuts, [{"X"}, {"Q"}, {"R"}])
    assert [c for c, _ in chosen] == [("A", "B"), ("C", "D"), ("X", "Y", "Z")]
    assert chosen[-1][1] == [1]
    assert [c for c, _ in choose_stoppers(cuts, [{"Q"}])] == cuts[:3]


def test_the_preparation_says_what_the_attackers_do_not_what_protects(client_for, alice):
    # 2026.2 gives every node a `step` phrase for protections ("make you harder to pick
    # out"); after "the attackers prepare" only the attacker's own step reads true.
    assessment = _submit_mixed(alice, "high-risk-individuals-2026.2.yaml")
    story = _story(client_for(alice), assessment)
    (line,) = re.findall(r"First, the attackers prepare</strong>(.*?)</p>", story, re.S)[:1]
    assert "pick targets from public activity" in line
    assert "make you harder to pick out" not in line
