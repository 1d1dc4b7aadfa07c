"""Lint of the packs shipped in apps/catalogue/packs/: what `make run` loads for real users.

The schema already refuses broken references; these tests restate the promises the
product makes about its content, so that a pack edit that breaks one fails here by name.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from apps.catalogue.models import Pack
from apps.catalogue.schema import ATTACK_ID_RE, iter_tree, read_pack_file, version_sort_key
from apps.catalogue.selectors import pack_latest

PACKS_DIR = Path(settings.CATALOGUE_PACKS_DIR)
MINIMUM_CONTROLS = {"high-risk-individuals": 35, "election-bodies": 25}
# Every shipped file: `<id>.yaml` holds the first version, `<id>-<version>.yaml` the later
# ones, beside it (assessments keep the version they started on).
SHIPPED_FILES = {
    "high-risk-individuals.yaml": ("high-risk-individuals", "2026.1"),
    "election-bodies.yaml": ("election-bodies", "2026.1"),
    "high-risk-individuals-2026.2.yaml": ("high-risk-individuals", "2026.2"),
    "election-bodies-2026.2.yaml": ("election-bodies", "2026.2"),
    "high-risk-individuals-2026.3.yaml": ("high-risk-individuals", "2026.3"),
    "election-bodies-2026.3.yaml": ("election-bodies", "2026.3"),
}
NEWEST = "2026.3"
# Step phrases, the vigilance calibration and the rest of issue 14 hold from 2026.2 on.
REWORKED_SINCE = "2026.2"
# A question a busy person reads in one go (issue 15); the detail goes in the help text.
QUESTION_MAX_CHARS = 200
# A loaded version never changes: these files are what 2026.1 and 2026.2 assessments were
# answered against (2026.2 froze on release). Change content in a new version file instead.
FROZEN_SHA256 = {
    "high-risk-individuals.yaml": "7cb4d18c37b8b12a071a553a1cdf4fab635393d06319064b4770ecd49034388e",
    "election-bodies.yaml": "ad6311a35ec790312399783bb67c89ac57007dbbc9bb468e1b6a982b6022e902",
    "high-risk-individuals-2026.2.yaml": "3cba7382017d05227e5cad5034a2abcf77a0aadedd993268d725e2f4fffb6756",
    "election-bodies-2026.2.yaml": "4a6aeac4a79955d987d2fe5d2dffdae5315ec3776775f98b313f1d005e38fe69",
}
# Vigilance, detection and response: they slow an attacker or shorten a stay, they do not
# close a way in, so from 2026.2 none of them is weighted as a barrier (ARCHITECTURE.md
# section 4; NCSC: no one spots every phish).
NOT_BARRIERS = {
    "I-EML-02", "I-EML-03", "I-ACC-05", "I-ACC-07", "I-RSP-01", "O-EM-03", "O-IR-01",
    "E-MO-01", "E-MO-02", "E-MO-03", "E-IR-01", "E-IR-02",
}  # fmt: skip
BLOCKING = 0.6  # apps.scoring.compiler.BLOCKING_EFFECTIVENESS


def all_leaves(pack: dict):
    """(scenario id, leaf) for every leaf of every scenario."""
    for scenario in pack["scenarios"]:
        stack = [scenario["tree"]]
        while stack:
            node = stack.pop()
            if node["op"] == "leaf":
                yield scenario["id"], node
            stack.extend(node.get("children", []))


def all_controls(pack: dict):
    return [control for section in pack["sections"] for control in section["controls"]]


@pytest.fixture(scope="module", params=sorted(SHIPPED_FILES))
def shipped(request):
    """(pack id, normalised pack) for each shipped file; fails if it does not validate."""
    path = PACKS_DIR / request.param
    assert path.is_file(), f"{path} is missing"
    pack = read_pack_file(path)
    assert (pack["id"], pack["version"]) == SHIPPED_FILES[request.param]
    return pack["id"], pack


def newest(pack: dict) -> bool:
    """2026.2 or later: the versions reworked by issue 14."""
    return version_sort_key(pack["version"]) >= version_sort_key(REWORKED_SINCE)


def test_every_pack_file_in_the_directory_is_a_known_shipped_version():
    assert sorted(path.name for path in PACKS_DIR.glob("*.yaml")) == sorted(SHIPPED_FILES)


@pytest.mark.parametrize("name", sorted(FROZEN_SHA256))
def test_the_2026_1_files_are_unchanged(name):
    digest = hashlib.sha256((PACKS_DIR / name).read_bytes()).hexdigest()
    assert digest == FROZEN_SHA256[name], f"{name} changed: put changed content in a new version"


def test_every_question_of_the_newest_packs_is_short_enough_to_read_in_one_go(shipped):
    _, pack = shipped
    if pack["version"] != NEWEST:
        pytest.skip("released versions stay as they were; 2026.3 shortened their long questions")
    long = [c["id"] for c in all_controls(pack) if len(c["question"]) > QUESTION_MAX_CHARS]
    assert long == []


@pytest.mark.parametrize("stem", ["high-risk-individuals", "election-bodies"])
def test_2026_3_changes_only_the_wording_of_questions_and_their_help(stem):
    # Shortening a question moved its detail into the help text: same controls, answers,
    # conditions, trees and calibration, so a 2026.2 answer means the same in 2026.3.
    def without_wording(path):
        pack = read_pack_file(path)
        for control in all_controls(pack):
            control.pop("question")
            control.pop("help")
        return {key: value for key, value in pack.items() if key != "version"}

    before = without_wording(PACKS_DIR / f"{stem}-2026.2.yaml")
    after = without_wording(PACKS_DIR / f"{stem}-2026.3.yaml")
    assert after == before
    old = {c["id"]: c for c in all_controls(read_pack_file(PACKS_DIR / f"{stem}-2026.2.yaml"))}
    for control in all_controls(read_pack_file(PACKS_DIR / f"{stem}-2026.3.yaml")):
        if control["question"] != old[control["id"]]["question"]:
            # only a question that was too long is reworded, and the old help text is
            # kept whole, after the detail moved into it
            assert len(old[control["id"]]["question"]) > QUESTION_MAX_CHARS, control["id"]
            assert control["help"].endswith(old[control["id"]]["help"]), control["id"]


def test_every_node_of_the_newest_packs_has_a_plain_step_phrase(shipped):
    _, pack = shipped
    if not newest(pack):
        pytest.skip("2026.1 predates step phrases and stays as it was")
    missing = [
        f"{scenario['id']} {node['id']}"
        for scenario in pack["scenarios"]
        for node, _ in iter_tree(scenario["tree"])
        if not node.get("step")
    ]
    assert missing == []
    # shown after "it helps": "it helps stop the tracking picture ...", never "it helps help"
    awkward = [
        node["step"]
        for scenario in pack["scenarios"]
        for node, _ in iter_tree(scenario["tree"])
        if node["step"].split()[0].lower() in ("help", "helps", "it", "to", "stops", "keeps")
    ]
    assert awkward == []


def test_vigilance_detection_and_response_never_weigh_as_a_barrier(shipped):
    _, pack = shipped
    if not newest(pack):
        pytest.skip("2026.1 keeps its calibration")
    barriers = [
        f"{scenario_id} {leaf['id']} {m['control']} {m['effectiveness']}"
        for scenario_id, leaf in all_leaves(pack)
        for m in leaf["mitigations"]
        if m["control"] in NOT_BARRIERS and m["effectiveness"] >= BLOCKING
    ]
    assert barriers == []


def test_steps_documented_only_for_other_operations_say_so(shipped):
    # "documented-elsewhere" needs sources and a note (the schema checks it); here: the
    # newest APT31 tree uses it, and never for the UK reconnaissance itself.
    _, pack = shipped
    if not newest(pack) or pack["id"] != "high-risk-individuals":
        pytest.skip("only the newest APT31 tree")
    tree = next(s["tree"] for s in pack["scenarios"] if s["id"] == "apt31-recon")
    kinds = {node["id"]: node.get("evidence", {}).get("kind") for node, _ in iter_tree(tree)}
    assert kinds["R"] == "documented"
    assert kinds["A2.1.3"] == "documented-elsewhere"  # home routers: the DOJ's wider case
    assert kinds["A2.2.2"] == "documented-elsewhere"  # malware: the 2020 US campaign


def test_the_pack_has_enough_controls(shipped):
    stem, pack = shipped
    assert len(all_controls(pack)) >= MINIMUM_CONTROLS[stem]


def test_every_mitigation_and_reference_resolves(shipped):
    _, pack = shipped
    control_ids = {control["id"] for control in all_controls(pack)}
    source_ids = {source["id"] for source in pack["sources"]}
    unresolved = [
        f"{control['id']} references {ref}"
        for control in all_controls(pack)
        for ref in control["references"]
        if ref not in source_ids
    ]
    for scenario_id, leaf in all_leaves(pack):
        unresolved += [
            f"{scenario_id} {leaf['id']} is mitigated by unknown {m['control']}"
            for m in leaf["mitigations"]
            if m["control"] not in control_ids
        ]
        unresolved += [
            f"{scenario_id} {leaf['id']} cites unknown source {ref}"
            for ref in leaf.get("evidence", {}).get("sources", [])
            if ref not in source_ids
        ]
    assert unresolved == []


def test_every_attack_id_is_well_formed(shipped):
    _, pack = shipped
    ids = [(c["id"], t) for c in all_controls(pack) for t in c["mitigates"]]
    ids += [(leaf["id"], t) for _, leaf in all_leaves(pack) for t in leaf["attack"]]
    assert ids, "the pack names no ATT&CK technique at all"
    assert [(where, t) for where, t in ids if not ATTACK_ID_RE.match(t)] == []


def test_every_leaf_the_defender_can_influence_has_a_mitigation(shipped):
    # A leaf with no mitigation is a step outside the defender's reach (choosing targets,
    # registering domains): the pack must say so in the evidence note, or it is a gap.
    _, pack = shipped
    unexplained = [
        f"{scenario_id} {leaf['id']}"
        for scenario_id, leaf in all_leaves(pack)
        if not leaf["mitigations"] and not leaf.get("evidence", {}).get("note")
    ]
    assert unexplained == []


def test_every_step_says_what_evidence_it_rests_on(shipped):
    _, pack = shipped
    leaves = list(all_leaves(pack))
    assert [leaf["id"] for _, leaf in leaves if "evidence" not in leaf] == []
    documented_without_source = [
        leaf["id"]
        for _, leaf in leaves
        if leaf["evidence"]["kind"] == "documented" and not leaf["evidence"]["sources"]
    ]
    assert documented_without_source == []


@pytest.mark.django_db
def test_load_catalogue_loads_the_shipped_packs_and_reloads_them_unchanged():
    out = io.StringIO()
    call_command("load_catalogue", stdout=out)
    call_command("load_catalogue", stdout=(again := io.StringIO()))

    assert sorted(Pack.objects.values_list("slug", "version")) == sorted(SHIPPED_FILES.values())
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == ["loaded"] * len(
        SHIPPED_FILES
    )
    assert [line.split(":")[0] for line in again.getvalue().splitlines()] == ["unchanged"] * len(
        SHIPPED_FILES
    )
    # A fresh load makes the newest version the default for new assessments.
    for slug in MINIMUM_CONTROLS:
        assert pack_latest(slug=slug).version == NEWEST


@pytest.mark.django_db
def test_an_assessment_started_today_uses_the_newest_pack_and_an_older_one_keeps_its_own():
    from apps.assessments.services import assessment_start
    from apps.catalogue.selectors import pack_list_for_audience
    from apps.catalogue.services import pack_load_file
    from tests.factories import MembershipFactory

    # An assessment started on 2026.1, before 2026.2 was published.
    old_pack = pack_load_file(PACKS_DIR / "high-risk-individuals.yaml").pack
    early = MembershipFactory().user
    started_early = assessment_start(actor=early, pack=old_pack)
    call_command("load_catalogue", stdout=io.StringIO())

    offered = list(pack_list_for_audience(audience="parliamentarian"))
    today = assessment_start(actor=MembershipFactory().user, pack=offered[0])

    assert [(p.slug, p.version) for p in offered] == [("high-risk-individuals", NEWEST)]
    assert today.pack.version == NEWEST
    started_early.refresh_from_db()
    assert started_early.pack.version == "2026.1"


def test_a_baseline_reason_is_only_given_for_controls_on_no_tree(shipped):
    # A control on a tree is explained by the steps it blocks; a leftover baseline
    # reason saying it is not on the route would contradict the tree.
    _, pack = shipped
    if not newest(pack):
        pytest.skip("2026.1 stays as it was")
    on_trees = {m["control"] for _, leaf in all_leaves(pack) for m in leaf["mitigations"]}
    stale = [
        c["id"] for c in all_controls(pack) if c["id"] in on_trees and c.get("baseline_reason")
    ]
    assert stale == []
