"""The first steps of the plan for four people (tests/scoring/personas.py): not a timing,
the figures a reviewer checks the engine's advice against (issue 13's note).

    .venv/bin/python -m bench plans
"""

from __future__ import annotations

from apps.scoring import engine
from apps.scoring.wording import ways_in_closed
from tests.scoring.packs import shipped_pack_content
from tests.scoring.personas import WIDE_OPEN, lowest_answers, personas

STEPS_SHOWN = 5


def _describe(step) -> str:
    parts = []
    for sid, (before, after) in step.cuts.items():
        part = f"{sid} {round(before * 100)} → {round(after * 100)}"
        routes = step.routes.get(sid)
        if routes and ways_in_closed(*routes):
            part += f", {ways_in_closed(*routes)} ({routes[0]:g} → {routes[1]:g})"
        parts.append(part)
    return "; ".join(parts)


def run(steps: int = STEPS_SHOWN) -> str:
    lines = [
        f"## First {steps} plan steps for four people (ENGINE_VERSION {engine.ENGINE_VERSION})",
        "",
        "| person | pack, audience | open routes now | plan steps | first steps |",
        "|---|---|---|---|---|",
    ]
    for (name, pack_id, audience, persona_answers), version in (
        (person, version) for version in ("", "-2026.2") for person in personas()
    ):
        pack_id += version
        pack = engine.compile_pack(shipped_pack_content(pack_id))
        known = pack.control_index
        answers = (
            lowest_answers(pack)
            if persona_answers == WIDE_OPEN
            else {
                c: a
                for c, a in persona_answers.items()
                if c in known and a in pack.controls[known[c]].levels
            }
        )
        result = engine.evaluate(pack, answers, audience)
        first = "<br>".join(
            f"{number}. {' + '.join(step.controls)} {step.title} [{_describe(step)}]"
            for number, step in enumerate(result.plan[:steps], start=1)
        )
        routes = ", ".join(f"{s.id} {s.open_routes:g}" for s in result.scenarios)
        lines.append(
            f"| {name} | {pack_id} {pack.version}, {audience} | {routes} "
            f"| {len(result.plan)} | {first} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
