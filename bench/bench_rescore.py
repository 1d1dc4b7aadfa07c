"""Rescoring benchmark: every stored assessment scored again, database reads and writes.

For a throwaway SQLite file and a PostgreSQL database (portcullis_bench, created and
dropped here), a subprocess (bench/_rescore_worker.py) migrates, seeds 10,000 submitted
assessments with every control answered (about 335,000 answers across both shipped
packs) and times, in batches of 500 with bulk operations (score_record_many):
- baseline: reading the assessments and their answers, batch by batch, nothing else;
- rescore: reading, scoring with the full plan, and bulk-inserting 10,000 Score rows;
- again: the same call once more, which finds every score recorded and writes nothing;
- the rescore once more from scratch, split by pk range over one process per core (as
  that many Celery workers would share the work).
Target: rescore <= 30 s per database (BENCHMARKS.md).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DB_NAME = "portcullis_bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
TARGET_S = 30.0
TIMEOUT_S = 1800


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


def _worker(database_url: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",  # as in production: no per-query logging
    }
    env.pop("PORTCULLIS_ENV", None)  # development settings: no production guard needed here
    done = subprocess.run(
        [sys.executable, "-m", "bench._rescore_worker"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"rescore worker failed ({database_url.split('@')[-1]}):\n{done.stderr[-3000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _sqlite() -> dict:
    with tempfile.TemporaryDirectory(prefix="portcullis-bench-") as tmp:
        return _worker(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")


def _postgres() -> dict:
    _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}"')
    _pg(f'CREATE DATABASE "{DB_NAME}"')
    try:
        return _worker(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + DB_NAME)
    finally:
        _pg(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def _row(name: str, f: dict) -> list[str]:
    per = f["rescore_s"] / f["assessments"] * 1000
    verdict = "met" if f["rescore_s"] <= TARGET_S else "MISSED"
    return [
        f"| {name} | baseline: read assessments + answers | {f['baseline_s']:.1f} | 1.0x | "
        f"{f['answers_read']:,} answers read | |",
        f"| {name} | rescore all (read, engine + plan, bulk insert) | {f['rescore_s']:.1f} | "
        f"{f['rescore_s'] / f['baseline_s']:.1f}x | {f['scores_written']:,} scores written, "
        f"{per:.2f} ms each | {verdict} |",
        f"| {name} | rescore all in {f['processes']} processes (one per core), scores deleted "
        f"first | {f['parallel_s']:.1f} | {f['parallel_s'] / f['baseline_s']:.1f}x | "
        f"{f['scores_written_parallel']:,} scores written | "
        f"{'met' if f['parallel_s'] <= TARGET_S else 'MISSED'} |",
        f"| {name} | rescore again (all recorded: nothing written) | {f['rerun_s']:.1f} | "
        f"{f['rerun_s'] / f['baseline_s']:.1f}x | {f['scores_written_again']} written, "
        f"{f['scores_stored']:,} stored | |",
    ]


def run() -> str:
    results, notes = [], []
    for name, runner in (("SQLite", _sqlite), ("PostgreSQL", _postgres)):
        try:
            figures = runner()
            figures["load_after"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
            results.append((name, figures))
        except Exception as exc:  # e.g. no PostgreSQL server: say so, keep the other figures
            notes.append(f"- {name}: not measured ({str(exc).splitlines()[0]})")
    rows = [line for name, f in results for line in _row(name, f)]
    sizes = [
        f"- {name}: {f['assessments']:,} assessments, {f['answers']:,} answers, batches of "
        f"{f['batch']}; seeding took {f['seed_s']:.1f} s; worker peak RSS {f['peak_rss_mb']:.0f} MB; "
        f"load average after (1, 5, 15 min): {f['load_after']}"
        for name, f in results
    ]
    return "\n".join(
        [
            "## Rescoring stored assessments",
            "",
            "One process per database, batches via `apps.scoring.services.score_record_many`.",
            "",
            "| database | what | seconds | vs baseline | rows | target ≤ 30 s |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            *sizes,
            *notes,
        ]
    )


if __name__ == "__main__":
    print(run())
