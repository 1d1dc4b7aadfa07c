"""Web benchmark: saving an answer and opening a question page, as members feel it.

`run()` creates a PostgreSQL database (portcullis_bench_web), migrates and seeds it
(bench/web_seed.py), serves the app with gunicorn as in production (DEBUG off, sync
workers), signs 20 members in through the real login form, and measures over loopback:
- the answer save (htmx POST) with 1 and 20 concurrent members,
- next to a trivial authenticated view (bench/web_urls.py), same server, same run,
- the question page with its answers at 1 member,
- the peak resident memory of the workers.
It then stops gunicorn and drops the database. Request counts are bounded.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
DB_NAME = "portcullis_bench_web"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# gunicorn's documented starting point, (2 x cores) + 1: a sync worker waiting on the
# database's commit is idle, and the extra workers keep both cores busy meanwhile.
WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", 2 * (os.cpu_count() or 1) + 1))
WORKER_CLASS = "sync"
USERS = 20
BACKGROUND_MEMBERS = 300
SINGLE_REQUESTS = 150  # per measurement at 1 member
CONCURRENT_REQUESTS_PER_USER = 30  # per measurement at 20 members
WARMUP = 20
ROUNDS = 5  # measurements alternate in this many batches


def _pg_url(name: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql)


@dataclass
class Served:
    """A seeded benchmark database behind gunicorn (see `served`)."""

    base: str
    seed: dict
    seed_seconds: float
    server: subprocess.Popen


@contextmanager
def served(db_name: str, env: dict, seed_command: list[str], *, workers: int, worker_class: str):
    """Create `db_name` afresh, migrate it, seed it (`python -m <seed_command>`, whose last
    stdout line is JSON), serve it with gunicorn as in production, and yield a `Served`;
    afterwards stop gunicorn and drop the database, whatever happened."""
    _admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{db_name}"')
    server = None
    try:
        subprocess.run(  # noqa: S603
            [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPO, env=env, check=True
        )
        started = time.perf_counter()
        seeded = subprocess.run(  # noqa: S603
            [PYTHON, "-m", *seed_command],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        seed_seconds = time.perf_counter() - started
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603
            [
                str(Path(PYTHON).with_name("gunicorn")),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                worker_class,
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env=env,
        )
        _wait_for(base, server)
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        yield Served(base=base, seed=seed, seed_seconds=seed_seconds, server=server)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        _admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(database_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.web_settings",
        "DATABASE_URL": database_url,
        "DEBUG": "false",
        "PORTCULLIS_ENV": "development",
        "SECRET_KEY": "bench-web-" + "x" * 50,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(REPO),
    }
    env.pop("PORTCULLIS_TESTING", None)  # the production password hasher, as deployed
    return env


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Member:
    """One simulated member: their own cookies, CSRF token and assessment."""

    def __init__(self, base: str, email: str, assessment: str, section: str, controls):
        self.client = httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False)
        self.email = email
        self.assessment = assessment
        self.section = section
        self.controls = controls
        self.turn = 0

    async def sign_in(self, password: str) -> None:
        page = await self.client.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = await self.client.post(
            "/accounts/login/",
            data={"csrfmiddlewaretoken": token, "login": self.email, "password": password},
            headers={"Referer": f"{self.client.base_url}/accounts/login/"},
        )
        if response.status_code != 302:
            raise RuntimeError(f"sign-in failed for {self.email}: {response.status_code}")
        check = await self.client.get(self.question_url)
        if check.status_code != 200:
            raise RuntimeError(f"question page answered {check.status_code} for {self.email}")

    @property
    def question_url(self) -> str:
        return f"/assessments/{self.assessment}/section/{self.section}/"

    async def trivial(self) -> httpx.Response:
        return await self.client.get("/bench/trivial/")

    async def question_page(self) -> httpx.Response:
        return await self.client.get(self.question_url)

    async def answer(self) -> httpx.Response:
        control = self.controls[self.turn % len(self.controls)]
        key = ("yes", "no", "partly")[(self.turn // len(self.controls)) % 3]
        self.turn += 1
        return await self.client.post(
            f"/assessments/{self.assessment}/answer/",
            data={"control": control, f"answer-{control}": key, f"note-{control}": ""},
            headers={
                "HX-Request": "true",
                "X-CSRFToken": self.client.cookies.get("csrftoken", ""),
                "Referer": f"{self.client.base_url}{self.question_url}",
            },
        )


async def _run_batch(members, action: str, per_member: int, into: dict) -> None:
    async def drive(member):
        for _ in range(per_member):
            started = time.perf_counter()
            response = await getattr(member, action)()
            into["latencies"].append(time.perf_counter() - started)
            if response.status_code != 200:
                into["failures"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(drive(m) for m in members))
    into["elapsed"] += time.perf_counter() - started


async def _measure_interleaved(members, actions, per_member: int, rounds: int) -> dict:
    """Measure `actions` in alternating batches, so a baseline and the thing compared
    with it see the same machine: a shared 2-core box drifts during a run."""
    totals = {a: {"latencies": [], "failures": 0, "elapsed": 0.0} for a in actions}
    for _ in range(rounds):
        for action in actions:
            await _run_batch(members, action, per_member, totals[action])
    return {
        action: {
            "requests": len(t["latencies"]),
            "failures": t["failures"],
            "median_ms": statistics.median(t["latencies"]) * 1000,
            "p95_ms": _percentile(t["latencies"], 0.95) * 1000,
            "throughput": len(t["latencies"]) / t["elapsed"],
        }
        for action, t in totals.items()
    }


def _worker_peak_rss_mb(master_pid: int) -> float:
    peak = 0
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    pids = children.read_text().split() if children.exists() else []
    for pid in pids:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return peak / 1024


async def _drive(base: str, seed: dict, password: str) -> dict:
    members = [
        Member(base, email, assessment, seed["section"], seed["controls"])
        for email, assessment in zip(seed["users"], seed["assessments"], strict=True)
    ]
    try:
        for member in members:  # one at a time: the login rate limit is per address
            await member.sign_in(password)
        one = members[:1]
        await _measure_interleaved(one, ("trivial", "answer", "question_page"), WARMUP, 1)
        single = await _measure_interleaved(
            one, ("trivial", "answer", "question_page"), SINGLE_REQUESTS // ROUNDS, ROUNDS
        )
        crowd = await _measure_interleaved(
            members, ("trivial", "answer"), CONCURRENT_REQUESTS_PER_USER // ROUNDS, ROUNDS
        )
        results = {
            "trivial_1": single["trivial"],
            "answer_1": single["answer"],
            "page_1": single["question_page"],
            "trivial_20": crowd["trivial"],
            "answer_20": crowd["answer"],
        }
    finally:
        for member in members:
            await member.client.aclose()
    return results


def _wait_for(base: str, process, deadline: float = 30) -> None:
    stop = time.monotonic() + deadline
    while time.monotonic() < stop:
        if process.poll() is not None:
            raise RuntimeError("gunicorn exited during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def run() -> str:
    """Run the benchmark; return its Markdown section."""
    from bench.web_seed import BENCH_PASSWORD

    seed_command = ["bench.web_seed", str(USERS), str(BACKGROUND_MEMBERS)]
    env = _env(_pg_url(DB_NAME))
    with served(DB_NAME, env, seed_command, workers=WORKERS, worker_class=WORKER_CLASS) as s:
        results = asyncio.run(_drive(s.base, s.seed, BENCH_PASSWORD))
        rss = _worker_peak_rss_mb(s.server.pid)
    return _report(results, s.seed, rss)


def _report(r: dict, seed: dict, rss: float) -> str:
    def row(name, m, baseline=None):
        ratio = f"{m['throughput'] / baseline['throughput']:.0%}" if baseline else "baseline"
        return (
            f"| {name} | {m['requests']} | {m['failures']} | {m['median_ms']:.1f} | "
            f"{m['p95_ms']:.1f} | {m['throughput']:.0f} | {ratio} |"
        )

    save_ratio = r["answer_20"]["throughput"] / r["trivial_20"]["throughput"]
    lines = [
        "## Web: answer save and question page",
        "",
        f"gunicorn {WORKERS} × {WORKER_CLASS} workers, DEBUG off, PostgreSQL, loopback; "
        f"{len(seed['users'])} signed-in members + {BACKGROUND_MEMBERS} others; "
        f"{seed['assessments_total']} assessments, {seed['answers']} answers; pack "
        f"high-risk-individuals ({seed['controls_in_pack']} controls). "
        "Command: `python -c 'import bench.bench_web as b; print(b.run())'` (or `make bench`).",
        "",
        "| what | requests | failures | median ms | p95 ms | req/s | throughput vs trivial |",
        "|---|---|---|---|---|---|---|",
        row("trivial view, 1 member", r["trivial_1"]),
        row("answer save, 1 member", r["answer_1"], r["trivial_1"]),
        row("question page, 1 member", r["page_1"], r["trivial_1"]),
        row("trivial view, 20 members", r["trivial_20"]),
        row("answer save, 20 members", r["answer_20"], r["trivial_20"]),
        "",
        f"Peak resident memory of one worker: {rss:.0f} MB.",
        "",
        "| target | result | met |",
        "|---|---|---|",
        f"| answer save throughput ≥ 50 % of trivial (20 members) | {save_ratio:.0%} | "
        f"{'yes' if save_ratio >= 0.5 else 'NO'} |",
        f"| answer save median ≤ 20 ms (1 member) | {r['answer_1']['median_ms']:.1f} ms | "
        f"{'yes' if r['answer_1']['median_ms'] <= 20 else 'NO'} |",
        f"| question page median ≤ 40 ms (1 member) | {r['page_1']['median_ms']:.1f} ms | "
        f"{'yes' if r['page_1']['median_ms'] <= 40 else 'NO'} |",
        f"| worker memory ≤ 150 MB | {rss:.0f} MB | {'yes' if rss <= 150 else 'NO'} |",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run())
