"""Small hand-built packs for the engine's tests (PACK_FORMAT.md shapes, minimal fields).

pack(
    [control("A"), control("B", effort="medium")],
    [scenario("s", OR("r", leaf("l1", A=0.9), leaf("l2", B=0.9)))],
)
"""

from __future__ import annotations

AUDIENCES = ("parliamentarian", "office")


def control(
    control_id: str,
    *,
    section: str = "s1",
    effort: str = "low",
    audiences=None,
    critical: bool = False,
    applies_if=None,
    answers=None,
) -> dict:
    raw = {
        "id": control_id,
        "title": f"Control {control_id}",
        "question": f"Is {control_id} in place?",
        "effort": effort,
        "critical": critical,
        "_section": section,
    }
    if audiences is not None:
        raw["audiences"] = list(audiences)
    if applies_if is not None:
        raw["applies_if"] = applies_if
    if answers is not None:
        raw["answers"] = answers
    return raw


def leaf(node_id: str, *, p0: float = 1.0, **mitigations: float) -> dict:
    """A leaf mitigated by controls given as keyword arguments: `leaf("l1", A=0.9)`."""
    return {
        "id": node_id,
        "op": "leaf",
        "title": f"Step {node_id}",
        "p0": p0,
        "mitigations": [
            {
                "control": c.replace("_", "-"),
                "role": "primary",
                "effectiveness": e,
                "reason": "test",
            }
            for c, e in mitigations.items()
        ],
    }


def AND(node_id: str, *children: dict) -> dict:  # noqa: N802 - reads like the tree
    return {"id": node_id, "op": "and", "title": f"All of {node_id}", "children": list(children)}


def OR(node_id: str, *children: dict) -> dict:  # noqa: N802
    return {"id": node_id, "op": "or", "title": f"Any of {node_id}", "children": list(children)}


def scenario(scenario_id: str, tree: dict, *, audiences=None, bands=None) -> dict:
    raw = {"id": scenario_id, "title": f"Scenario {scenario_id}", "tree": tree}
    raw["bands"] = bands or {"low": 0, "moderate": 0.2, "high": 0.5, "critical": 0.8}
    if audiences is not None:
        raw["audiences"] = list(audiences)
    return raw


def pack(controls: list[dict], scenarios: list[dict], *, audiences=AUDIENCES, **extra) -> dict:
    sections: dict[str, dict] = {}
    for raw in controls:
        raw = dict(raw)
        section_id = raw.pop("_section")
        sections.setdefault(
            section_id, {"id": section_id, "title": f"Section {section_id}", "controls": []}
        )["controls"].append(raw)
    return {
        "id": "test-pack",
        "version": "1",
        "title": "Test pack",
        "audiences": list(audiences),
        "sections": list(sections.values()),
        "scenarios": scenarios,
        **extra,
    }
