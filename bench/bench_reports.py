"""Benchmark: PDF report rendering, in process and through Celery workers on Redis.

`run()` (called by `python -m bench`) creates a throwaway database (PostgreSQL
`portcullis_bench_reports`, or an SQLite file when PostgreSQL is not reachable), runs the
driver below in a subprocess against it, drops it, and returns a Markdown section:

- the median and 95th percentile time to render one report (HTML + PDF), in process, and
  of the whole render step (claim, render, store, mark ready);
- throughput of 200 reports with 1 and with 2 `celery -A config worker --concurrency=1`
  processes, next to a trivial task measured the same way (same workers, same queue), with
  the ratios.

Run on its own: `.venv/bin/python -m bench.bench_reports` (prints the section).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
DB_NAME = "portcullis_bench_reports"
REPORTS = int(os.environ.get("BENCH_REPORTS", "200"))  # fewer for a quick look
RENDER_SAMPLES = 20
WARMUP_PER_WORKER = 3
TRIVIAL_TASKS = 200
SEED = 1
PACK_FILE = "high-risk-individuals.yaml"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
TIMEOUT = 900


# --- the parent: a throwaway database, the driver, the table -----------------------------


def _broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or DEFAULT_BROKER


def _redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def _postgres_server_url() -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        return urlunsplit(urlsplit(configured)._replace(path="/postgres"))
    return DEFAULT_POSTGRES


def _throwaway_database():
    """(DATABASE_URL, description, cleanup): PostgreSQL if reachable, else an SQLite file."""
    import psycopg

    server = _postgres_server_url()
    try:
        with psycopg.connect(server, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    except psycopg.Error:
        folder = tempfile.mkdtemp(prefix="portcullis-bench-reports-")
        path = Path(folder) / "bench.sqlite3"

        def drop_sqlite():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            Path(folder).rmdir()

        return f"sqlite:///{path}", f"SQLite file {path} (WAL)", drop_sqlite

    def drop_postgres():
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

    url = urlunsplit(urlsplit(server)._replace(path=f"/{DB_NAME}"))
    return url, f"PostgreSQL database `{DB_NAME}` (created and dropped)", drop_postgres


def run() -> str:
    """Measure, and return the Markdown section with the table."""
    broker = _broker_url()
    if not _redis_reachable(broker):
        return (
            "## Reports\n\nSkipped: no Redis broker at "
            f"`{urlsplit(broker).hostname}:{urlsplit(broker).port}` "
            "(set CELERY_BROKER_URL). The throughput figures need real workers.\n"
        )
    database_url, database, drop = _throwaway_database()
    private = tempfile.mkdtemp(prefix="portcullis-bench-reports-files-")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker,
        "PRIVATE_STORAGE_ROOT": private,
        "DJANGO_SETTINGS_MODULE": "bench.reports_settings",
        "PYTHONPATH": str(BASE_DIR),
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",  # as in production
    }
    load_before = os.getloadavg()[0]
    try:
        driver = subprocess.run(
            [sys.executable, "-m", "bench.bench_reports", "--driver"],
            cwd=BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT * 3,
        )
    finally:
        drop()
        subprocess.run(["rm", "-rf", private], check=False)
    if driver.returncode != 0:
        return f"## Reports\n\nThe benchmark failed:\n\n```\n{driver.stderr[-4000:]}\n```\n"
    figures = json.loads(driver.stdout.strip().splitlines()[-1])
    figures["load"] = (load_before, os.getloadavg()[0])
    return _markdown(figures, database)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _markdown(f: dict, database: str) -> str:
    one, two = f["workers"]["1"], f["workers"]["2"]
    scaling = two["reports_per_s"] / one["reports_per_s"]
    trivial_scaling = two["trivial_per_s"] / one["trivial_per_s"]
    render_ok = f["render_median_s"] <= 1.0
    lines = [
        "## Reports (PDF rendering in Celery workers)",
        "",
        "Command: `python -m bench` (`bench/bench_reports.py`). Data: one pack "
        f"(`{f['pack']}`, {f['controls']} controls), {f['assessments']} submitted assessments "
        f"answered at random (seed {SEED}); each report is {f['pages_median']} pages, "
        f"{f['pdf_kb_median']:.0f} kB (median). Database: {database}. Broker: Redis, a queue "
        "of the benchmark's own. Workers: `celery -A config worker --pool=prefork "
        "--concurrency=1`, one or two processes. Machine: "
        f"{os.cpu_count()} cores, shared: 1-minute load average {f['load'][0]:.1f} before "
        f"the run and {f['load'][1]:.1f} after it (the benchmark itself keeps up to 2 busy).",
        "",
        "| render, in process | median | p95 | target |",
        "|---|---|---|---|",
        f"| HTML + PDF of one report | {_ms(f['render_median_s'])} | {_ms(f['render_p95_s'])} "
        f"| ≤ 1 s median {'✓' if render_ok else '✗'} |",
        f"| whole render step (claim, render, store, mark ready) | "
        f"{_ms(f['step_median_s'])} | {_ms(f['step_p95_s'])} | |",
        "",
        f"| through Celery ({REPORTS} reports, {TRIVIAL_TASKS} trivial tasks) | 1 worker "
        "| 2 workers | 2 vs 1 | target |",
        "|---|---|---|---|---|",
        f"| trivial task (baseline) | {one['trivial_per_s']:.0f}/s | {two['trivial_per_s']:.0f}/s "
        f"| {trivial_scaling:.2f}× | |",
        f"| report | {one['reports_per_s']:.2f}/s | {two['reports_per_s']:.2f}/s "
        f"| {scaling:.2f}× | ≥ 2/s with 2 workers "
        f"{'✓' if two['reports_per_s'] >= 2 else '✗'}; ≥ 1.7× "
        f"{'✓' if scaling >= 1.7 else '✗'} |",
        f"| report ÷ trivial throughput | {one['reports_per_s'] / one['trivial_per_s']:.4f} "
        f"| {two['reports_per_s'] / two['trivial_per_s']:.4f} | | |",
        f"| time for {REPORTS} reports | {one['reports_s']:.1f} s | {two['reports_s']:.1f} s | | |",
        f"| median report task inside a worker | {_ms(one['task_median_s'])} "
        f"| {_ms(two['task_median_s'])} | | |",
        f"| failed reports | {one['failed']} | {two['failed']} | | 0 |",
        f"| peak RSS of one worker's pool process | {one['peak_rss_mb']:.0f} MB "
        f"| {two['peak_rss_mb']:.0f} MB | | |",
        "",
    ]
    return "\n".join(lines)


# --- the driver: runs in a subprocess against the throwaway database ---------------------


def _answers_for(questionnaire, rng: random.Random) -> dict[str, str]:
    """A random, mostly-partial posture: every question answered from its own options."""
    answers = {}
    for control_id, question in questionnaire.questions.items():
        keys = [o.key for o in question.options]
        weights = [3 if k in ("no", "partly", "unsure") else 2 for k in keys]
        answers[control_id] = rng.choices(keys, weights)[0]
    return answers


def _seed(count: int) -> list:
    from django.conf import settings
    from django.utils import timezone

    from apps.accounts.models import Audience, Membership, Organisation, User
    from apps.assessments.models import Answer, Assessment
    from apps.assessments.questionnaire import questionnaire_for
    from apps.assessments.selectors import visible_control_ids
    from apps.catalogue.services import pack_load_file
    from apps.scoring.services import score_record

    pack = pack_load_file(settings.CATALOGUE_PACKS_DIR / PACK_FILE).pack
    organisation = Organisation.objects.create(name="Bench office")
    people = User.objects.bulk_create(
        [
            User(email=f"bench{n}@example.org", full_name=f"Bench Member {n} MP")
            for n in range(count)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(user=u, organisation=organisation, audience=Audience.PARLIAMENTARIAN)
            for u in people
        ]
    )
    now = timezone.now()
    assessments = Assessment.objects.bulk_create(
        [
            Assessment(
                user=u,
                organisation=organisation,
                pack=pack,
                audience=Audience.PARLIAMENTARIAN,
                status=Assessment.Status.SUBMITTED,
                submitted_at=now,
            )
            for u in people
        ]
    )
    questionnaire = questionnaire_for(pack)
    rng = random.Random(SEED)
    rows = []
    for assessment in assessments:
        answers = _answers_for(questionnaire, rng)
        for _ in range(3):  # drop answers hidden by other answers, until nothing changes
            shown = set(visible_control_ids(assessment=assessment, answer_map=answers))
            kept = {k: v for k, v in answers.items() if k in shown}
            if kept == answers:
                break
            answers = kept
        note = "Checked with the office manager on Tuesday."
        rows += [
            Answer(assessment=assessment, control_key=k, answer_key=v, note=note if i % 5 else "")
            for i, (k, v) in enumerate(answers.items())
        ]
    Answer.objects.bulk_create(rows, batch_size=2000)
    for assessment in assessments:
        score_record(assessment=assessment)
    return assessments


def _request_reports(assessments) -> list:
    """Create report rows for `assessments`; their tasks are published when this commits."""
    from django.db import transaction

    from apps.reports.services import report_request

    with transaction.atomic():
        return [report_request(actor=a.user, assessment=a) for a in assessments]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def _measure_in_process(assessments, app, queue: str) -> dict:
    import io

    from django.core.files.storage import storages
    from pypdf import PdfReader

    from apps.reports.models import RemediationReport
    from apps.reports.rendering import render_report
    from apps.reports.services import report_render

    app.conf.task_default_queue = f"{queue}-unconsumed"
    reports = _request_reports(assessments)
    renders, steps, pages, sizes = [], [], [], []
    render_report(RemediationReport.objects.get(pk=reports[0].pk))  # imports, fonts
    for report in reports:
        report = RemediationReport.objects.select_related(
            "assessment__user", "assessment__organisation", "assessment__pack", "score__pack"
        ).get(pk=report.pk)
        start = time.perf_counter()
        rendered = render_report(report)
        renders.append(time.perf_counter() - start)
        start = time.perf_counter()
        done = report_render(report_public_id=report.public_id, task_id=f"bench-{report.pk}")
        steps.append(time.perf_counter() - start)
        assert done is not None and done.status == "ready", done and done.error
        pages.append(len(PdfReader(io.BytesIO(rendered.pdf)).pages))
        sizes.append(len(rendered.pdf) / 1024)
        with storages["private"].open(done.pdf_name, "rb") as handle:
            assert handle.read(5) == b"%PDF-"
    _forget_queue(f"{queue}-unconsumed")
    return {
        "render_median_s": statistics.median(renders),
        "render_p95_s": _percentile(renders, 0.95),
        "step_median_s": statistics.median(steps),
        "step_p95_s": _percentile(steps, 0.95),
        "pages_median": int(statistics.median(pages)),
        "pdf_kb_median": statistics.median(sizes),
    }


def _forget_queue(queue: str) -> None:
    """Delete a benchmark queue, messages and all, and kombu's binding keys for it."""
    import redis

    client = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    priorities = list(client.scan_iter(match=f"{queue}\x06\x16*"))
    client.delete(
        queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}", *priorities
    )


def _start_workers(count: int, queue: str, logs: Path) -> tuple[list[subprocess.Popen], list]:
    workers, log_files = [], []
    for n in range(count):
        log = logs / f"worker-{n}-{uuid.uuid4().hex[:6]}.log"
        log_files.append(log)
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "-Q",
                    queue,
                    "-I",
                    "bench.reports_tasks",
                    "-n",
                    f"bench{n}-{uuid.uuid4().hex[:6]}@%h",
                    "--without-mingle",
                    "--without-gossip",
                    "--without-heartbeat",
                    "--loglevel=INFO",
                    f"--logfile={log}",
                ],  # fmt: skip
                cwd=BASE_DIR,
                # Tasks the workers send themselves (the "report ready" email) stay on the
                # benchmark's queue: nothing is left behind in the shared Redis.
                env={**os.environ, "BENCH_TASK_QUEUE": queue},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    deadline = time.monotonic() + 120
    while not all(log.exists() and " ready." in log.read_text() for log in log_files):
        if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
            _stop_workers(workers)
            raise RuntimeError("a benchmark worker did not start")
        time.sleep(0.2)
    return workers, log_files


def _task_seconds(log_files: list[Path]) -> list[float]:
    """How long each report task took inside a worker, from the workers' own log lines."""
    pattern = re.compile(r"Task reports\.render\[[^\]]+\] succeeded in ([0-9.]+)s")
    return [float(m) for log in log_files for m in pattern.findall(log.read_text())]


def _stop_workers(workers: list[subprocess.Popen]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def _peak_rss_mb(workers: list[subprocess.Popen]) -> float:
    """The largest peak resident set (VmHWM) among the workers' pool processes."""
    peak = 0
    for worker in workers:
        children = Path(f"/proc/{worker.pid}/task/{worker.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]))
            except OSError:
                continue
    return peak / 1024


def _wait_until(predicate, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("the benchmark timed out")
        time.sleep(0.02)


def _measure_workers(count: int, measured, warmup, app, queue: str, logs: Path) -> dict:
    import redis

    from apps.reports.models import RemediationReport
    from bench.reports_tasks import trivial

    app.conf.task_default_queue = queue
    counter = redis.Redis.from_url(os.environ["CELERY_BROKER_URL"])
    workers, log_files = _start_workers(count, queue, logs)
    try:
        # Warm up every worker: imports, fonts, connections, the first PDF.
        _request_reports(warmup)
        _wait_until(
            lambda: (
                RemediationReport.objects.filter(assessment__in=warmup, status="ready").count()
                == len(warmup)
            )
        )
        key = f"bench-trivial-{uuid.uuid4().hex}"
        start = time.perf_counter()
        for _ in range(TRIVIAL_TASKS):
            trivial.apply_async(args=[key], queue=queue)
        _wait_until(lambda: int(counter.get(key) or 0) >= TRIVIAL_TASKS)
        trivial_s = time.perf_counter() - start
        counter.delete(key)

        from django.db import transaction

        from apps.reports.services import report_request

        with transaction.atomic():
            for assessment in measured:
                report_request(actor=assessment.user, assessment=assessment)
            start = time.perf_counter()  # the tasks are published as this block commits
        _wait_until(
            lambda: (
                RemediationReport.objects.filter(
                    assessment__in=measured, status__in=["ready", "failed"]
                ).count()
                == len(measured)
            )
        )
        reports_s = time.perf_counter() - start
        failed = RemediationReport.objects.filter(assessment__in=measured, status="failed").count()
        peak = _peak_rss_mb(workers)
    finally:
        _stop_workers(workers)
    RemediationReport.objects.filter(assessment__in=list(measured) + list(warmup)).delete()
    return {
        "trivial_s": trivial_s,
        "trivial_per_s": TRIVIAL_TASKS / trivial_s,
        "reports_s": reports_s,
        "reports_per_s": len(measured) / reports_s,
        "failed": failed,
        "peak_rss_mb": peak,
        "task_median_s": statistics.median(_task_seconds(log_files) or [0.0]),
    }


def _driver() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    from apps.assessments.questionnaire import questionnaire_for
    from config.celery import app

    call_command("migrate", verbosity=0)
    total = REPORTS + RENDER_SAMPLES + 2 * WARMUP_PER_WORKER
    assessments = _seed(total)
    measured = assessments[:REPORTS]
    samples = assessments[REPORTS : REPORTS + RENDER_SAMPLES]
    warmup = assessments[REPORTS + RENDER_SAMPLES :]
    queue = f"bench-reports-{uuid.uuid4().hex[:8]}"
    app.conf.task_always_eager = False
    figures = {
        "pack": PACK_FILE.removesuffix(".yaml"),
        "controls": len(questionnaire_for(measured[0].pack).questions),
        "assessments": total,
        **_measure_in_process(samples, app, queue),
    }
    logs = Path(tempfile.mkdtemp(prefix="portcullis-bench-worker-logs-"))
    figures["workers"] = {
        str(n): _measure_workers(n, measured, warmup[: n * WARMUP_PER_WORKER], app, queue, logs)
        for n in (1, 2)
    }
    _forget_queue(queue)
    subprocess.run(["rm", "-rf", str(logs)], check=False)
    print(json.dumps(figures))


if __name__ == "__main__":
    if "--driver" in sys.argv:
        _driver()
    else:
        print(run())
