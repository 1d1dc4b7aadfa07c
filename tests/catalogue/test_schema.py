"""Each kind of mistake in a pack gets its own precise error, and nothing is loaded."""

from __future__ import annotations

import pytest
import yaml

from apps.catalogue.models import Control, Pack
from apps.catalogue.schema import (
    ATTACK_ID_RE,
    MAX_TREE_DEPTH,
    PackValidationError,
    pack_source_from_content,
    validate_pack,
)
from apps.catalogue.services import pack_load_data

ACC = "sections[0].controls"  # T-ACC-01, T-ACC-02 (own answers), T-ACC-03
DEV = "sections[1].controls"  # T-DEV-01, T-DEV-02 (applies_if), T-GOV-01 (baseline_reason)
TREE = "scenarios[0].tree"  # R and [R1 or [R1.1, R1.2], R2, R3]
SLUG = "a slug (lowercase letters and digits, joined by - or _)"


def control(data, section, index):
    return data["sections"][section]["controls"][index]


def tree(data):
    return data["scenarios"][0]["tree"]


def leaf_r11(data):
    return tree(data)["children"][0]["children"][0]


def leaf_r2(data):
    return tree(data)["children"][1]


def deep_chain(depth):
    node = {"id": "L", "op": "leaf", "title": "x", "evidence": {"kind": "inferred"}}
    for level in range(depth):
        node = {"id": f"N{level}", "op": "and", "title": "x", "children": [node]}
    return node


# (what is broken, how to break the pack, path, reason)
CASES = [
    (
        "missing field",
        lambda d: control(d, 0, 0).pop("question"),
        f"{ACC}[0].question",
        "required field is missing",
    ),
    (
        "unknown field",
        lambda d: control(d, 0, 0).update(colour="red"),
        f"{ACC}[0].colour",
        "unknown field (expected one of: id, title, question, help, audiences, effort, "
        "remediation, answers, applies_if, critical, references, mitigates, baseline_reason)",
    ),
    (
        "wrong type",
        lambda d: control(d, 0, 0).update(remediation="Turn it on."),
        f"{ACC}[0].remediation",
        "must be a list, not a string",
    ),
    (
        "empty required list",
        lambda d: control(d, 0, 0).update(remediation=[]),
        f"{ACC}[0].remediation",
        "must have at least one item",
    ),
    ("pack id not a slug", lambda d: d.update(id="Test Pack"), "id", f"'Test Pack' is not {SLUG}"),
    (
        "version as a YAML number",
        lambda d: d.update(version=2026.1),
        "version",
        'must be a string: quote it in YAML (version: "2026.1"); unquoted, 2026.10 would be '
        "read as the number 2026.1",
    ),
    (
        "control id pattern",
        lambda d: control(d, 1, 2).update(id="GOV-1"),
        f"{DEV}[2].id",
        "'GOV-1' is not a control id like I-ACC-01 (^[A-Z]-[A-Z]{2,4}-\\d{2}$)",
    ),
    (
        "duplicate section id",
        lambda d: d["sections"][1].update(id="accounts"),
        "sections[1].id",
        "duplicate section id 'accounts' (first used at sections[0].id)",
    ),
    (
        "duplicate control id",
        lambda d: control(d, 1, 2).update(id="T-ACC-01"),
        f"{DEV}[2].id",
        f"duplicate control id 'T-ACC-01' (first used at {ACC}[0].id)",
    ),
    (
        "duplicate scenario id",
        lambda d: d["scenarios"].append({**d["scenarios"][0], "tree": {**leaf_r2(d), "id": "X"}}),
        "scenarios[1].id",
        "duplicate scenario id 'account-takeover' (first used at scenarios[0].id)",
    ),
    (
        "duplicate answer key",
        lambda d: control(d, 0, 1)["answers"][1].update(key="yes"),
        f"{ACC}[1].answers[1].key",
        f"duplicate answer key 'yes' (first used at {ACC}[1].answers[0].key)",
    ),
    (
        "duplicate source id",
        lambda d: d["sources"].append({**d["sources"][1], "title": "Another"}),
        "sources[2].id",
        "duplicate source id 'hri' (first used at sources[1].id)",
    ),
    (
        "boolean where a string is expected (YAML yes/no)",
        lambda d: control(d, 0, 1)["answers"][0].update(key=True),
        f"{ACC}[1].answers[0].key",
        "is the boolean true, not text: YAML reads unquoted yes/no/on/off/true/false as "
        'booleans, so quote it (e.g. "yes")',
    ),
    (
        "answer level above 1",
        lambda d: control(d, 0, 1)["answers"][0].update(level=1.5),
        f"{ACC}[1].answers[0].level",
        "1.5 is outside [0, 1]",
    ),
    (
        "answer level neither a number nor na",
        lambda d: control(d, 0, 1)["answers"][0].update(level="n/a"),
        f"{ACC}[1].answers[0].level",
        "must be a number between 0 and 1, not a string",
    ),
    (
        "unsure answer with a level",
        lambda d: control(d, 0, 1)["answers"][3].update(level=0.5),
        f"{ACC}[1].answers[3].level",
        "the 'unsure' answer always has level 0",
    ),
    (
        "an answer that removes a surface below level 1",
        lambda d: control(d, 0, 1)["answers"][1].update(removes=True),
        f"{ACC}[1].answers[1].removes",
        "an answer that removes the attack surface must have level 1 "
        "(the control is as good as in place), not 0.5",
    ),
    (
        "removes that is not a boolean",
        lambda d: control(d, 0, 1)["answers"][0].update(removes="yes"),
        f"{ACC}[1].answers[0].removes",
        "must be true or false, not a string",
    ),
    (
        "an answer that removes a surface its control is primary on nowhere",
        lambda d: control(d, 1, 1).update(
            answers=[
                {"key": "yes", "label": "Yes", "level": 1},
                {"key": "none", "label": "I have none", "level": 1, "removes": True},
            ]
        ),
        f"{DEV}[1].answers[1].removes",
        "T-DEV-02 mitigates no step as primary, so this answer would remove nothing "
        "(removing sets the steps it mitigates as primary to 0)",
    ),
    (
        "unknown control in a tree",
        lambda d: leaf_r11(d)["mitigations"][0].update(control="T-ACC-09"),
        f"{TREE}.children[0].children[0].mitigations[0].control",
        "'T-ACC-09' is not a control of this pack",
    ),
    (
        "same control twice on one leaf",
        lambda d: leaf_r11(d)["mitigations"].append({"control": "T-ACC-02", "role": "supporting"}),
        f"{TREE}.children[0].children[0].mitigations[1].control",
        "duplicate mitigating control 'T-ACC-02' "
        f"(first used at {TREE}.children[0].children[0].mitigations[0].control)",
    ),
    (
        "role neither primary nor supporting",
        lambda d: leaf_r11(d)["mitigations"][0].update(role="main"),
        f"{TREE}.children[0].children[0].mitigations[0].role",
        "'main' is not one of: primary, supporting",
    ),
    (
        "effectiveness outside [0, 1]",
        lambda d: leaf_r2(d)["mitigations"][0].update(effectiveness=1.2),
        f"{TREE}.children[1].mitigations[0].effectiveness",
        "1.2 is outside [0, 1]",
    ),
    (
        "effectiveness without a reason",
        lambda d: leaf_r2(d)["mitigations"][0].pop("reason"),
        f"{TREE}.children[1].mitigations[0].reason",
        "required when 'effectiveness' is given: say why this step is blocked more or less "
        "than the default",
    ),
    (
        "p0 outside [0, 1]",
        lambda d: leaf_r2(d).update(p0=-0.1),
        f"{TREE}.children[1].p0",
        "-0.1 is outside [0, 1]",
    ),
    (
        "applies_if on an unknown control",
        lambda d: control(d, 1, 1)["applies_if"].update(control="T-DEV-09"),
        f"{DEV}[1].applies_if.control",
        "'T-DEV-09' is not a control of this pack",
    ),
    (
        "applies_if on a later control",
        lambda d: control(d, 1, 1)["applies_if"].update(control="T-GOV-01"),
        f"{DEV}[1].applies_if.control",
        "'T-GOV-01' comes later in the pack; applies_if may only refer to earlier controls",
    ),
    (
        "applies_if on itself",
        lambda d: control(d, 1, 1)["applies_if"].update(control="T-DEV-02"),
        f"{DEV}[1].applies_if.control",
        "a control cannot depend on its own answer",
    ),
    (
        "applies_if in-key that is not an answer key of that control",
        lambda d: control(d, 1, 1)["applies_if"].update(**{"in": ["yes", "sometimes"]}),
        f"{DEV}[1].applies_if.in[1]",
        "'sometimes' is not an answer key of T-DEV-01 (yes, partly, no, unsure, na)",
    ),
    (
        "applies_if in-key that YAML read as a boolean",
        lambda d: control(d, 1, 1)["applies_if"].update(**{"in": [True]}),
        f"{DEV}[1].applies_if.in[0]",
        "is the boolean true, not text: YAML reads unquoted yes/no/on/off/true/false as "
        'booleans, so quote it (e.g. "yes")',
    ),
    (
        "applies_if in neither form",
        lambda d: control(d, 1, 1).update(applies_if={"all": [], "any": []}),
        f"{DEV}[1].applies_if",
        "must be exactly one condition: {control: ID, in: [answer keys]}, {all: [...]}, "
        "{any: [...]} or {not: condition}",
    ),
    (
        "malformed ATT&CK id in a control",
        lambda d: control(d, 1, 0)["mitigates"].append("T12"),
        f"{DEV}[0].mitigates[2]",
        "'T12' is not an ATT&CK technique id (T1234, T1234.001 or mobile:T1234)",
    ),
    (
        "malformed ATT&CK id on a leaf",
        lambda d: leaf_r2(d).update(attack=["T1078.1"]),
        f"{TREE}.children[1].attack[0]",
        "'T1078.1' is not an ATT&CK technique id (T1234, T1234.001 or mobile:T1234)",
    ),
    (
        "node id repeated along a path (cycle)",
        lambda d: leaf_r11(d).update(id="R1"),
        f"{TREE}.children[0].children[0].id",
        "node id 'R1' repeats an ancestor's id: the tree has a cycle",
    ),
    (
        "node id repeated elsewhere in the tree",
        lambda d: leaf_r2(d).update(id="R1.1"),
        f"{TREE}.children[1].id",
        f"duplicate node id 'R1.1' (first used at {TREE}.children[0].children[0].id)",
    ),
    (
        "absurdly deep tree",
        lambda d: d["scenarios"][0].update(tree=deep_chain(MAX_TREE_DEPTH + 5)),
        f"{TREE}" + ".children[0]" * (MAX_TREE_DEPTH + 1),
        f"the tree is nested more than {MAX_TREE_DEPTH} levels deep",
    ),
    (
        "and without children",
        lambda d: tree(d).update(children=[]),
        f"{TREE}.children",
        "must have at least one item",
    ),
    (
        "or with no children field",
        lambda d: tree(d)["children"][0].pop("children"),
        f"{TREE}.children[0].children",
        "required field is missing",
    ),
    (
        "leaf with children",
        lambda d: leaf_r2(d).update(children=[leaf_r11(d)]),
        f"{TREE}.children[1].children",
        "a leaf has no children (use op: and / op: or for a step with sub-steps)",
    ),
    (
        "leaf-only field on an and node",
        lambda d: tree(d).update(p0=0.5),
        f"{TREE}.p0",
        "only a leaf can have 'p0' (this node is op: and)",
    ),
    (
        "control audience outside the pack's",
        lambda d: control(d, 0, 0)["audiences"].append("election_official"),
        f"{ACC}[0].audiences[2]",
        "'election_official' is not one of the pack's audiences (parliamentarian, staff)",
    ),
    (
        "pack audience that does not exist",
        lambda d: d["audiences"].append("voters"),
        "audiences[2]",
        "'voters' is not an audience (parliamentarian, peer, staff, candidate, "
        "election_official, office)",
    ),
    (
        "scenario audience outside the pack's",
        lambda d: d["scenarios"][0].update(audiences=["office"]),
        "scenarios[0].audiences[0]",
        "'office' is not one of the pack's audiences (parliamentarian, staff)",
    ),
    (
        "reference that is not a source id",
        lambda d: control(d, 0, 0).update(references=["ncsc-hri"]),
        f"{ACC}[0].references[0]",
        "'ncsc-hri' is not a source id of this pack (known: cyber-aware, hri)",
    ),
    (
        "evidence source that is not a source id",
        lambda d: leaf_r11(d)["evidence"].update(sources=["doj"]),
        f"{TREE}.children[0].children[0].evidence.sources[0]",
        "'doj' is not a source id of this pack (known: cyber-aware, hri)",
    ),
    (
        "source url that is not a web address",
        lambda d: d["sources"][0].update(url="javascript:alert(1)"),
        "sources[0].url",
        "'javascript:alert(1)' is not an http(s) web address",
    ),
    (
        "source date in another format",
        lambda d: d["sources"][0].update(date="Dec 2023"),
        "sources[0].date",
        "'Dec 2023' is not a date (YYYY, YYYY-MM or YYYY-MM-DD)",
    ),
    (
        "bands not starting at 0",
        lambda d: d["scenarios"][0]["bands"].update(low=0.1),
        "scenarios[0].bands.low",
        "the low band must start at 0",
    ),
    (
        "bands not strictly increasing",
        lambda d: d["scenarios"][0]["bands"].update(high=0.2),
        "scenarios[0].bands.high",
        "bands must be strictly increasing: high (0.2) is not above moderate (0.2)",
    ),
    (
        "control that mitigates nothing, without baseline_reason",
        lambda d: tree(d)["children"][2]["mitigations"].pop(1),
        f"{DEV}[1].baseline_reason",
        "required: T-DEV-02 mitigates no step of any scenario, so say why it is still asked "
        "(e.g. baseline hygiene)",
    ),
    (
        "step phrase in quotation marks",
        lambda d: leaf_r2(d).update(step="block \u201cthe tracking picture\u201d"),
        f"{TREE}.children[1].step",
        "must be a plain phrase, without quotation marks",
    ),
    (
        "step phrase too long",
        lambda d: tree(d).update(step="stop " + "the attack " * 12),
        f"{TREE}.step",
        "is 136 characters long; the limit is 120",
    ),
    (
        "documented elsewhere without saying where",
        lambda d: leaf_r2(d).update(evidence={"kind": "documented-elsewhere", "sources": ["hri"]}),
        f"{TREE}.children[1].evidence.note",
        "required for 'documented-elsewhere': say which operation documents it",
    ),
    (
        "documented elsewhere without a source",
        lambda d: leaf_r2(d).update(
            evidence={"kind": "documented-elsewhere", "note": "Seen in the 2020 US campaign."}
        ),
        f"{TREE}.children[1].evidence.sources",
        "required for 'documented-elsewhere': cite where the step is documented",
    ),
    (
        "unknown evidence kind",
        lambda d: leaf_r2(d).update(evidence={"kind": "documented elsewhere"}),
        f"{TREE}.children[1].evidence.kind",
        "'documented elsewhere' is not one of: documented, documented-elsewhere, inferred",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mutate", "path", "reason"),
    [pytest.param(m, p, r, id=name) for name, m, p, r in CASES],
)
def test_each_mistake_is_reported_precisely_and_loads_nothing(pack_data, mutate, path, reason):
    mutate(pack_data)

    with pytest.raises(PackValidationError) as caught:
        pack_load_data(pack_data)

    assert caught.value.errors == [(path, reason)]
    assert Pack.objects.count() == 0
    assert Control.objects.count() == 0


def test_the_valid_pack_has_no_errors(pack_data):
    assert validate_pack(pack_data)["id"] == "test-pack"


def test_step_phrases_and_documented_elsewhere_are_kept_and_export_back(pack_data):
    tree(pack_data)["step"] = "keep your accounts to yourself"
    leaf_r2(pack_data).update(
        step="stop a guessed password working",
        evidence={
            "kind": "documented-elsewhere",
            "sources": ["hri"],
            "note": "Documented for the 2020 US campaign, not for these targets.",
        },
    )

    content = validate_pack(pack_data)

    assert content["scenarios"][0]["tree"]["step"] == "keep your accounts to yourself"
    r2 = content["scenarios"][0]["tree"]["children"][1]
    assert r2["step"] == "stop a guessed password working"
    assert r2["evidence"]["kind"] == "documented-elsewhere"
    assert validate_pack(pack_source_from_content(content)) == content


def test_an_answer_that_removes_a_surface_is_kept_and_exported(pack_data):
    control(pack_data, 0, 1)["answers"].append(
        {"key": "never", "label": "I never sign in from links", "level": 1, "removes": True}
    )
    content = validate_pack(pack_data)
    answers = content["sections"][0]["controls"][1]["answers"]
    assert answers[-1] == {
        "key": "never",
        "label": "I never sign in from links",
        "level": 1.0,
        "removes": True,
    }
    assert "removes" not in answers[0]  # absent unless given
    assert validate_pack(pack_source_from_content(content)) == content


def test_every_mistake_is_collected_not_only_the_first(pack_data):
    control(pack_data, 0, 0)["mitigates"] = ["T12"]
    leaf_r11(pack_data)["mitigations"][0]["role"] = "main"
    pack_data["scenarios"][0]["bands"]["low"] = 0.1

    with pytest.raises(PackValidationError) as caught:
        validate_pack(pack_data)

    assert [path for path, _ in caught.value.errors] == [
        f"{ACC}[0].mitigates[0]",
        "scenarios[0].bands.low",
        f"{TREE}.children[0].children[0].mitigations[0].role",
    ]


def test_a_pack_that_is_not_a_mapping_is_refused():
    with pytest.raises(PackValidationError) as caught:
        validate_pack(["not", "a", "pack"])
    assert caught.value.errors == [
        ("", "a pack must be a mapping of fields (id, version, ...), not a list")
    ]


def test_unquoted_yes_in_yaml_is_caught_with_advice(pack_data):
    text = yaml.safe_dump(pack_data, sort_keys=False).replace("key: 'yes'", "key: yes")

    with pytest.raises(PackValidationError) as caught:
        validate_pack(yaml.safe_load(text))

    assert caught.value.errors[0][0] == f"{ACC}[1].answers[0].key"
    assert 'quote it (e.g. "yes")' in caught.value.errors[0][1]


def test_a_yaml_alias_loop_in_a_tree_is_a_cycle_not_a_crash(pack_data):
    looping = {"id": "LOOP", "op": "or", "title": "Loop"}
    looping["children"] = [looping]
    tree(pack_data)["children"].append(looping)

    with pytest.raises(PackValidationError) as caught:
        validate_pack(pack_data)

    assert (
        f"{TREE}.children[3].children[0]",
        "this node contains itself (a YAML alias loop): the tree has a cycle",
    ) in caught.value.errors


def test_defaults_are_filled_in(pack_data):
    content = validate_pack(pack_data)

    acc01, acc02 = content["sections"][0]["controls"][:2]
    assert [a["key"] for a in acc01["answers"]] == ["yes", "partly", "no", "unsure", "na"]
    assert acc01["answers"][4]["level"] == "na"
    assert acc01["critical"] is True and acc02["critical"] is False
    assert content["sections"][1]["controls"][2]["mitigates"] == []
    assert content["effort_weights"] == {"low": 1.0, "medium": 2.0, "high": 4.0}
    root = content["scenarios"][0]["tree"]
    r11, r12 = root["children"][0]["children"]
    assert r11["p0"] == 1.0
    assert r12["mitigations"] == [
        {"control": "T-ACC-03", "role": "primary", "effectiveness": 0.7},
        {"control": "T-ACC-02", "role": "supporting", "effectiveness": 0.3},
    ]
    assert root["children"][1]["mitigations"][0]["effectiveness"] == 0.9
    assert root["children"][2]["p0"] == 0.5


def test_yaml_dates_and_years_become_text(pack_data):
    import datetime

    pack_data["sources"][0]["date"] = 2023
    pack_data["sources"][1]["date"] = datetime.date(2023, 12, 7)

    content = validate_pack(pack_data)

    assert [s["date"] for s in content["sources"]] == ["2023", "2023-12-07"]


def test_the_exported_form_validates_back_to_the_same_content(pack_data):
    content = validate_pack(pack_data)
    assert validate_pack(pack_source_from_content(content)) == content


@pytest.mark.parametrize("good", ["T1078", "T1566.002", "mobile:T1451", "mobile:T1417.001"])
def test_attack_id_pattern_accepts_technique_ids(good):
    assert ATTACK_ID_RE.match(good)


@pytest.mark.parametrize("bad", ["T12", "t1078", "T1078.1", "T1078.0001", "ics:T0800", "M1032"])
def test_attack_id_pattern_rejects_other_ids(bad):
    assert not ATTACK_ID_RE.match(bad)
