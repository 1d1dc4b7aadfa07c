"""The research draft catalogue (DOMAIN.md §7-9) converted to the pack format.

A third, independently written pack for the engine's tests: the same controls and
trees as the research, with the flat default calibration (primary 0.7, supporting
0.3, p0 1.0) that DOMAIN.md §6 works through.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

DRAFT = Path(__file__).parent / "fixtures" / "catalogue-draft.json"

AUDIENCES = {
    "individual": ["parliamentarian", "peer", "staff", "candidate"],
    "office": ["staff", "office"],
    "election body": ["election_official"],
}
TREE_AUDIENCES = {
    "A": ["parliamentarian", "peer", "staff", "candidate"],
    "B": ["election_official"],
}
TREE_IDS = {"A": "apt31-recon", "B": "ec-compromise"}


def _node(raw: dict) -> dict:
    node = {"id": raw["id"], "op": raw["type"].lower(), "title": raw["label"]}
    if node["op"] == "leaf":
        node["mitigations"] = [
            {"control": m["control"], "role": m["role"]} for m in raw["controls"]
        ]
    else:
        node["children"] = [_node(child) for child in raw["children"]]
    return node


@cache
def _draft_json() -> str:
    raw = json.loads(DRAFT.read_text())
    sections: dict[str, dict] = {}
    for control in raw["controls"]:
        section_id = control["id"].rsplit("-", 1)[0].lower()
        section = sections.setdefault(
            section_id, {"id": section_id, "title": section_id.upper(), "controls": []}
        )
        audiences = sorted({a for aud in control["audience"] for a in AUDIENCES[aud]})
        section["controls"].append(
            {
                "id": control["id"],
                "title": control["title"],
                "question": control["question"],
                "audiences": audiences,
                "effort": control["effort"],
                "critical": control["critical"],
            }
        )
    pack = {
        "id": "draft",
        "version": "0",
        "title": "Research draft catalogue",
        "audiences": [
            "parliamentarian",
            "peer",
            "staff",
            "candidate",
            "election_official",
            "office",
        ],
        "sections": list(sections.values()),
        "scenarios": [
            {
                "id": TREE_IDS[key],
                "title": tree["label"],
                "audiences": TREE_AUDIENCES[key],
                "bands": {"low": 0, "moderate": 0.2, "high": 0.4, "critical": 0.7},
                "tree": _node(tree),
            }
            for key, tree in raw["trees"].items()
        ],
    }
    return json.dumps(pack)


def draft_pack_content() -> dict:
    """A fresh copy each call, so a test may change it."""
    return json.loads(_draft_json())
