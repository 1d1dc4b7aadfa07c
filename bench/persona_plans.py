"""The first steps of the plan for four people (tests/scoring/personas.py).

.venv/bin/python -m bench.persona_plans [STEPS]
"""

from __future__ import annotations

import sys

from apps.scoring import engine
from tests.scoring.packs import shipped_pack_content
from tests.scoring.personas import WIDE_OPEN, lowest_answers, personas


def _describe(step) -> str:
    parts = []
    for sid, (before, after) in step.cuts.items():
        part = f"{sid} {round(before * 100)}->{round(after * 100)}"
        routes = getattr(step, "routes", {}).get(sid)
        if routes:
            part += f", ways in {routes[0]:g}->{routes[1]:g}"
        parts.append(part)
    return "; ".join(parts)


def run(steps: int = 5) -> str:
    lines = [f"engine {engine.ENGINE_VERSION}"]
    for name, pack_id, audience, answers in personas():
        pack = engine.compile_pack(shipped_pack_content(pack_id))
        if answers == WIDE_OPEN:
            answers = lowest_answers(pack)
        result = engine.evaluate(pack, answers, audience)
        lines.append(f"\n{name} ({pack_id}, {audience}), {len(result.plan)} steps:")
        for number, step in enumerate(result.plan[:steps], start=1):
            lines.append(
                f"  {number}. {' + '.join(step.controls)} {step.title} [{_describe(step)}]"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run(int(sys.argv[1]) if len(sys.argv) > 1 else 5))
