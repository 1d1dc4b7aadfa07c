"""'Why this matters' is told in the pack's plain `step` phrases, not in quoted titles."""

from __future__ import annotations

from apps.assessments.questionnaire import build_questionnaire
from apps.catalogue.schema import validate_pack
from tests.catalogue.packs import minimal_pack_data


def _tree(data):
    return data["scenarios"][0]["tree"]


def test_why_this_matters_uses_the_step_phrases_of_the_steps_a_control_blocks():
    data = minimal_pack_data()
    for node in (_tree(data)["children"][0]["children"][0], _tree(data)["children"][1]):
        node["step"] = f"stop step {node['id']} working"
    content = validate_pack(data)
    questionnaire = build_questionnaire(content)

    for question in questionnaire.questions.values():
        blocked = [b for b in question.blocks if b.step_title]
        if not blocked or not all(b.phrase for b in blocked):
            continue
        # the scenario is named, the steps are told in their plain phrases, not quoted
        assert question.why.startswith("in \u201c")
        assert "\u201c" not in question.why.split("it helps", 1)[1]
        assert all(b.phrase in question.why for b in blocked)
        break
    else:
        raise AssertionError("no control blocks only steps with phrases")


def test_without_step_phrases_the_titles_are_quoted_as_before():
    questionnaire = build_questionnaire(validate_pack(minimal_pack_data()))

    why = [q.why for q in questionnaire.questions.values() if q.blocks]

    assert why and all("it helps block \u201c" in text for text in why)
