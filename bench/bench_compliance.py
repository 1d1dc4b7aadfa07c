"""Compliance benchmark: the organisation dashboard and plan at 10,000 members.

`run()` creates a PostgreSQL database (BENCH_COMPLIANCE_DB, default portcullis_compliance),
migrates it, seeds one organisation of 10,000 members with 600,000 answers
(bench/compliance_seed.py), serves the app with gunicorn as in production (DEBUG off,
sync workers) and measures over loopback, in alternating batches:
- a trivial authenticated view (the baseline),
- the dashboard page /organisation/ (completion, distributions, trend, plan),
- the organisation plan alone (its selector behind a bench-only URL, as JSON),
- the first page of the people list /organisation/people/ (status and bands per person),
then stops gunicorn and drops the database.
"""

from __future__ import annotations

import asyncio
import os

import httpx

from bench.bench_web import (
    _env,
    _measure_interleaved,
    _pg_url,
    _worker_peak_rss_mb,
    served,
)

DB_NAME = os.environ.get("BENCH_COMPLIANCE_DB", "portcullis_compliance")
MEMBERS = int(os.environ.get("BENCH_COMPLIANCE_MEMBERS", 10_000))
WORKERS = 2
WORKER_CLASS = "sync"
REQUESTS = 100  # per measurement
ROUNDS = 5
TARGET_P95_MS = 250
MEASURED = ("trivial", "dashboard", "plan", "people")


class Admin:
    def __init__(self, base: str, cookie: str):
        self.client = httpx.AsyncClient(
            base_url=base, timeout=60, cookies={"sessionid": cookie}, follow_redirects=False
        )

    async def trivial(self):
        return await self.client.get("/bench/trivial/")

    async def dashboard(self):
        return await self.client.get("/organisation/")

    async def plan(self):
        return await self.client.get("/bench/organisation-plan/")

    async def people(self):
        return await self.client.get("/organisation/people/")


async def _drive(base: str, cookie: str) -> dict:
    admin = Admin(base, cookie)
    try:
        for name in MEASURED:
            response = await getattr(admin, name)()
            if response.status_code != 200:
                raise RuntimeError(f"{name} answered {response.status_code}")
        page = (await admin.dashboard()).text
        if "portcullis-distribution" not in page:
            raise RuntimeError("the dashboard shows no distribution")
        await _measure_interleaved([admin], MEASURED, 5, 1)
        return await _measure_interleaved([admin], MEASURED, REQUESTS // ROUNDS, ROUNDS)
    finally:
        await admin.client.aclose()


def run() -> str:
    seed_command = ["bench.compliance_seed", str(MEMBERS)]
    env = _env(_pg_url(DB_NAME))
    with served(DB_NAME, env, seed_command, workers=WORKERS, worker_class=WORKER_CLASS) as s:
        results = asyncio.run(_drive(s.base, s.seed["cookie"]))
        rss = _worker_peak_rss_mb(s.server.pid)
    return _report(results, s.seed, rss, s.seed_seconds)


def _report(r: dict, seed: dict, rss: float, seed_seconds: float) -> str:
    base = r["trivial"]

    def row(name, m):
        ratio = f"{m['median_ms'] / base['median_ms']:.1f}×" if m is not base else "baseline"
        return (
            f"| {name} | {m['requests']} | {m['failures']} | {m['median_ms']:.1f} | "
            f"{m['p95_ms']:.1f} | {m['throughput']:.0f} | {ratio} |"
        )

    lines = [
        "## Compliance: organisation dashboard and plan",
        "",
        f"gunicorn {WORKERS} × {WORKER_CLASS} workers, DEBUG off, PostgreSQL, loopback, one "
        f"org admin; {seed['members']} members, {seed['assessments']} assessments, "
        f"{seed['answers']} answers (seeded in {seed_seconds:.0f} s). "
        "Command: `python -m bench compliance` (or `make bench`).",
        "",
        "| what | requests | failures | median ms | p95 ms | req/s | median vs trivial |",
        "|---|---|---|---|---|---|---|",
        row("trivial authenticated view", base),
        row("dashboard page /organisation/", r["dashboard"]),
        row("organisation plan (selector, JSON)", r["plan"]),
        row("people list, first page /organisation/people/", r["people"]),
        "",
        f"Peak resident memory of one worker: {rss:.0f} MB.",
        "",
        "| target | result | met |",
        "|---|---|---|",
    ]
    for name in ("dashboard", "plan"):
        p95 = r[name]["p95_ms"]
        lines.append(
            f"| {name} p95 ≤ {TARGET_P95_MS} ms | {p95:.0f} ms | "
            f"{'yes' if p95 <= TARGET_P95_MS else 'NO'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
