"""API benchmark: the compliance summary and a 40-answer bulk write, next to a trivial DRF
endpoint, at 1 and 20 concurrent clients, on PostgreSQL.

`run()` creates a PostgreSQL database (BENCH_API_DB, default portcullis_api), migrates and
seeds it (bench/api_seed.py), serves the app with gunicorn as in production (DEBUG off,
sync workers), and measures over loopback with an API key:
- the trivial endpoint (bench/api_urls.py: same authentication, permission, throttling
  and audit event as every route, no work) as the baseline;
- the organisation's compliance summary (GET /api/v1/compliance/summary/: the dashboard's
  completion of the seeded campaign rounds and, over the seeded submitted people, its
  band distributions; the bench stops if the route fails, the figures are withheld or
  completion is empty);
- a bulk write of 40 verified answers with evidence, each client to its own member's
  assessment.
Measurements alternate in rounds so baseline and subject see the same machine. Request
counts are bounded; the database is dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time

import httpx

from bench.bench_web import (
    PG_ADMIN_URL,
    REPO,
    WORKER_CLASS,
    WORKERS,
    _percentile,
    _worker_peak_rss_mb,
    served,
)

DB_NAME = os.environ.get("BENCH_API_DB", "portcullis_api")
CLIENTS = 20
BACKGROUND_MEMBERS = int(os.environ.get("BENCH_API_MEMBERS", "300"))
SINGLE_REQUESTS = 100  # per measurement at 1 client
CONCURRENT_REQUESTS_PER_CLIENT = 10  # per measurement at 20 clients
ROUNDS = 5
SUMMARY_PATH = "/api/v1/compliance/summary/"


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _env(database_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.api_settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "PORTCULLIS_ENV": "development",
        "SECRET_KEY": "bench-api-" + "x" * 50,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    env.pop("PORTCULLIS_TESTING", None)
    return env


class Client:
    def __init__(self, base, key, assessment, controls, choices, summary):
        self.http = httpx.AsyncClient(
            base_url=base, timeout=30, headers={"Authorization": f"Bearer {key}"}
        )
        self.assessment = assessment
        self.summary_path = summary
        self.turn = 0
        self.bodies = [
            {
                "answers": [
                    {
                        "control": control,
                        "answer": choices[n],
                        "evidence": {
                            "reference": f"mdm:device/{n}",
                            "observed_at": f"2026-11-0{day}T09:58:00Z",
                        },
                    }
                    for n, control in enumerate(controls)
                ]
            }
            for day in (1, 2)
        ]

    async def trivial(self):
        return await self.http.get("/bench/api-trivial/")

    async def summary(self):
        return await self.http.get(self.summary_path)

    async def bulk_write(self):
        self.turn += 1
        return await self.http.post(
            f"/api/v1/assessments/{self.assessment}/answers/", json=self.bodies[self.turn % 2]
        )


async def _batch(clients, action, per_client, into):
    async def drive(client):
        for _ in range(per_client):
            started = time.perf_counter()
            response = await getattr(client, action)()
            into["latencies"].append(time.perf_counter() - started)
            if response.status_code != 200:
                into["failures"] += 1
                into["last_error"] = f"{response.status_code} {response.text[:200]}"

    started = time.perf_counter()
    await asyncio.gather(*(drive(c) for c in clients))
    into["elapsed"] += time.perf_counter() - started


async def _interleaved(clients, actions, per_client, rounds):
    totals = {
        a: {"latencies": [], "failures": 0, "elapsed": 0.0, "last_error": ""} for a in actions
    }
    for _ in range(rounds):
        for action in actions:
            await _batch(clients, action, per_client, totals[action])
    return {
        a: {
            "requests": len(t["latencies"]),
            "failures": t["failures"],
            "last_error": t["last_error"],
            "median_ms": statistics.median(t["latencies"]) * 1000,
            "p95_ms": _percentile(t["latencies"], 0.95) * 1000,
            "throughput": len(t["latencies"]) / t["elapsed"],
        }
        for a, t in totals.items()
    }


async def _drive(base: str, seed: dict) -> tuple[dict, str]:
    probe = httpx.AsyncClient(
        base_url=base, timeout=30, headers={"Authorization": f"Bearer {seed['key']}"}
    )
    # The real summary, or the bench fails: measuring a stand-in would report a number
    # that says nothing about the route it names.
    summary = SUMMARY_PATH
    probe_response = await probe.get(summary)
    if probe_response.status_code != 200:
        raise RuntimeError(
            f"{summary} -> {probe_response.status_code}: {probe_response.text[:200]}"
        )
    if probe_response.json()["results"].get("hidden"):
        raise RuntimeError(f"{summary}: the seed is below AGGREGATE_MIN_PEOPLE, figures hidden")
    if not probe_response.json()["completion"]:
        raise RuntimeError(f"{summary}: no campaign to count, completion is not measured")
    await probe.aclose()
    clients = [
        Client(base, seed["key"], assessment, seed["controls"], seed["choices"], summary)
        for assessment in seed["assessments"]
    ]
    actions = ("trivial", "summary", "bulk_write")
    try:
        await _interleaved(clients[:1], actions, 10, 1)  # warm-up
        single = await _interleaved(clients[:1], actions, SINGLE_REQUESTS // ROUNDS, ROUNDS)
        crowd = await _interleaved(
            clients, actions, CONCURRENT_REQUESTS_PER_CLIENT // ROUNDS, ROUNDS
        )
    finally:
        for client in clients:
            await client.http.aclose()
    return {"1": single, "20": crowd}, summary


def run() -> str:
    """Run the benchmark; return its Markdown section."""
    seed_command = ["bench.api_seed", str(CLIENTS), str(BACKGROUND_MEMBERS)]
    env = _env(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME)
    with served(DB_NAME, env, seed_command, workers=WORKERS, worker_class=WORKER_CLASS) as s:
        results, summary = asyncio.run(_drive(s.base, s.seed))
        rss = _worker_peak_rss_mb(s.server.pid)
    return _report(results, s.seed, rss, summary)


def _report(r: dict, seed: dict, rss: float, summary: str) -> str:
    names = {
        "trivial": "trivial DRF endpoint",
        "summary": f"compliance summary (`GET {summary}`)",
        "bulk_write": "bulk write, 40 verified answers",
    }
    lines = [
        "## API: compliance summary and bulk answer write",
        "",
        f"gunicorn {WORKERS} × {WORKER_CLASS} workers, DEBUG off, PostgreSQL, loopback, one "
        f"API key; {seed['members']} members, {seed['assessments_total']} assessments, "
        f"{seed['answers']} answers, two campaign rounds over every member; pack "
        "high-risk-individuals 2026.2 (42 controls). Command: "
        "`python -m bench api` (or `make bench`).",
        "",
        "| what | clients | requests | failures | median ms | p95 ms | req/s | median vs trivial |",
        "|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for clients in ("1", "20"):
        base = r[clients]["trivial"]["median_ms"]
        for action in ("trivial", "summary", "bulk_write"):
            m = r[clients][action]
            ratio = "baseline" if action == "trivial" else f"{m['median_ms'] / base:.2f}×"
            lines.append(
                f"| {names[action]} | {clients} | {m['requests']} | {m['failures']} | "
                f"{m['median_ms']:.1f} | {m['p95_ms']:.1f} | {m['throughput']:.0f} | {ratio} |"
            )
        for action, limit in (("summary", 2), ("bulk_write", 3)):
            ratio = r[clients][action]["median_ms"] / base
            verdicts.append(
                f"| {names[action]} ≤ {limit}× trivial median, {clients} client(s) | "
                f"{ratio:.2f}× | {'yes' if ratio <= limit else 'NO'} |"
            )
    errors = [
        f"{a} ({c}): {r[c][a]['last_error']}" for c in r for a in r[c] if r[c][a]["last_error"]
    ]
    lines += ["", f"Peak resident memory of one worker: {rss:.0f} MB.", ""]
    lines += ["| target | result | met |", "|---|---|---|", *verdicts]
    if errors:
        lines += ["", "Last failure per measurement: " + "; ".join(errors)]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
