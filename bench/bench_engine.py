"""Engine benchmark: evaluate() with the full two-phase plan, one assessment at a time.

For each shipped pack: full assessments (every control answered) with random answers,
and the worst case (every control at its lowest level, so every route is open and the
plan is longest); and the four people of tests/scoring/personas.py. The baseline, timed
in the same loop and interleaved with it, is evaluate() without the plan: exposures,
open routes, coverage, routes and cut sets only.
Pure Python, no database. Targets (BENCHMARKS.md, engine 2): <= 2 ms median with the
plan; <= 4 ms for the worst case (its median: a shared machine's p95 measures the
machine's other work more than the engine, see the baseline's p95 beside it).
"""

from __future__ import annotations

import gc
import os
import random
import statistics
import time
from pathlib import Path

import yaml

from apps.catalogue.schema import validate_pack
from apps.scoring import engine

PACKS_DIR = Path(__file__).resolve().parents[1] / "apps" / "catalogue" / "packs"
PACKS = (
    "high-risk-individuals",
    "election-bodies",
    "high-risk-individuals-2026.2",
    "election-bodies-2026.2",
)
RANDOM_ASSESSMENTS = 300
WORST_CASE_REPEATS = 300
TARGET_MS = 2.0
WORST_CASE_TARGET_MS = 4.0
PERSONA_REPEATS = 200
SEED = 20240325  # the day the UK called out APT31


def _compiled(name: str) -> tuple[engine.CompiledPack, float]:
    content = validate_pack(yaml.safe_load((PACKS_DIR / f"{name}.yaml").read_text("utf-8")))
    started = time.perf_counter()
    compiled = engine.compile_pack(content)
    return compiled, time.perf_counter() - started


def _scored_audiences(pack: engine.CompiledPack) -> list[str]:
    return [a for a in pack.audiences if any(a in s.audiences for s in pack.scenarios)]


def _random_assessments(pack, rng: random.Random) -> list[tuple[dict, str]]:
    audiences = _scored_audiences(pack)
    return [
        ({c.id: rng.choice(sorted(c.levels)) for c in pack.controls}, rng.choice(audiences))
        for _ in range(RANDOM_ASSESSMENTS)
    ]


def _worst_case(pack) -> list[tuple[dict, str]]:
    def lowest(control):
        scored = [k for k, level in control.levels.items() if level is not None]
        return min(scored, key=lambda k: (control.levels[k], k == "unsure", k))

    answers = {c.id: lowest(c) for c in pack.controls}
    return [(answers, _scored_audiences(pack)[0])] * WORST_CASE_REPEATS


def _personas(name: str, pack) -> list[tuple[str, list[tuple[dict, str]]]]:
    from tests.scoring.personas import WIDE_OPEN, personas

    out = []
    for person, pack_id, audience, answers in personas():
        if pack_id != name.removesuffix("-2026.2") or answers == WIDE_OPEN:
            continue  # the wide-open MP is the worst case already
        out.append((f"persona: {person}", [(answers, audience)] * PERSONA_REPEATS))
    return out


def _measure(pack, assessments) -> dict:
    for answers, audience in assessments[:20]:  # warm-up
        engine.evaluate(pack, answers, audience)
    gc.collect()
    full, base, steps = [], [], []
    for answers, audience in assessments:
        started = time.perf_counter()
        result = engine.evaluate(pack, answers, audience)
        middle = time.perf_counter()
        engine.evaluate(pack, answers, audience, with_plan=False)
        base.append(time.perf_counter() - middle)
        full.append(middle - started)
        steps.append(len(result.plan))
    return {"full": full, "base": base, "steps": steps}


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def run() -> str:
    rng = random.Random(SEED)
    rows = []
    compile_notes = []
    for name in PACKS:
        pack, compile_seconds = _compiled(name)
        compile_notes.append(f"{name} {compile_seconds * 1000:.1f} ms")
        for label, assessments, target in (
            (
                f"random, {RANDOM_ASSESSMENTS} full assessments",
                _random_assessments(pack, rng),
                TARGET_MS,
            ),
            ("worst case: every control at its lowest", _worst_case(pack), WORST_CASE_TARGET_MS),
            *((label, cases, TARGET_MS) for label, cases in _personas(name, pack)),
        ):
            m = _measure(pack, assessments)
            full_median, base_median = statistics.median(m["full"]), statistics.median(m["base"])
            rows.append(
                f"| {name} | {label} | {statistics.median(m['steps']):.0f} "
                f"| {full_median * 1000:.3f} | {_p95(m['full']) * 1000:.3f} "
                f"| {min(m['full']) * 1000:.3f} "
                f"| {base_median * 1000:.3f} | {_p95(m['base']) * 1000:.3f} "
                f"| {full_median / base_median:.1f}x "
                f"| ≤ {target:g} ms: {'met' if full_median * 1000 <= target else 'MISSED'} |"
            )
    return "\n".join(
        [
            f"## Scoring engine (ENGINE_VERSION {engine.ENGINE_VERSION})",
            "",
            "One evaluate() call per assessment, single process, no database. Baseline: the",
            "same evaluate() without the remediation plan, timed interleaved in the same loop.",
            "",
            "| pack | answers | plan steps (median) | evaluate + plan median ms | p95 ms "
            "| min ms | baseline (no plan) median ms | p95 ms | plan / baseline | target (median) |",
            "|---|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"compile_pack, once per pack version (cached in-process): {', '.join(compile_notes)}.",
            "Load average after (1, 5, 15 min): "
            + ", ".join(f"{x:.2f}" for x in os.getloadavg())
            + " (other work on this shared machine inflates every figure).",
        ]
    )


if __name__ == "__main__":
    print(run())
