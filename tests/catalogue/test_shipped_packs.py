"""Lint of the packs shipped in apps/catalogue/packs/: what `make run` loads for real users.

The schema already refuses broken references; these tests restate the promises the
product makes about its content, so that a pack edit that breaks one fails here by name.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from apps.catalogue.models import Pack
from apps.catalogue.schema import ATTACK_ID_RE, read_pack_file

PACKS_DIR = Path(settings.CATALOGUE_PACKS_DIR)
MINIMUM_CONTROLS = {"high-risk-individuals": 35, "election-bodies": 25}


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


@pytest.fixture(scope="module", params=sorted(MINIMUM_CONTROLS))
def shipped(request):
    """(file stem, normalised pack) for each shipped pack; fails if it does not validate."""
    path = PACKS_DIR / f"{request.param}.yaml"
    assert path.is_file(), f"{path} is missing"
    return request.param, read_pack_file(path)


def test_the_pack_id_matches_its_file_name(shipped):
    stem, pack = shipped
    assert pack["id"] == stem


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

    assert sorted(Pack.objects.values_list("slug", flat=True)) == sorted(MINIMUM_CONTROLS)
    assert [line.split(":")[0] for line in out.getvalue().splitlines()] == ["loaded", "loaded"]
    assert [line.split(":")[0] for line in again.getvalue().splitlines()] == [
        "unchanged",
        "unchanged",
    ]
