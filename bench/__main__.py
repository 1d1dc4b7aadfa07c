"""Run the benchmarks and print their Markdown sections with the machine they ran on.

    python -m bench                 # every bench/bench_*.py module defining run() -> str
    python -m bench engine rescore  # only bench_engine.py and bench_rescore.py

Each module's `run()` returns one Markdown section (a heading and a table). A module that
fails prints its error in place of its section; the exit status is then 1.
"""

from __future__ import annotations

import datetime
import importlib
import os
import platform
import shlex
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def _modules(selected: list[str]) -> list[str]:
    names = sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))
    if not selected:
        return names
    wanted = {name if name.startswith("bench_") else f"bench_{name}" for name in selected}
    unknown = sorted(wanted - set(names))
    if unknown:
        raise SystemExit(f"No such benchmark: {', '.join(unknown)}. Known: {', '.join(names)}.")
    return [name for name in names if name in wanted]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _nproc() -> str:
    try:
        return subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(os.cpu_count())


def _header() -> str:
    command = " ".join(
        shlex.quote(a) for a in [Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]
    )
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return "\n".join(
        [
            "# Portcullis benchmarks",
            "",
            f"- command: `{command}`",
            f"- date: {now}",
            f"- nproc: {_nproc()}; CPU: {_cpu_model()}",
            f"- Python: {platform.python_implementation()} {platform.python_version()}",
            f"- load average at start (1, 5, 15 min): {load}",
        ]
    )


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(BENCH_DIR.parent))
    names = _modules(argv)
    print(_header(), flush=True)
    failed = False
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        run = getattr(module, "run", None)
        if not callable(run):
            continue
        started = time.perf_counter()
        try:
            section = run()
        except Exception:  # one broken benchmark must not hide the others' figures
            failed = True
            section = f"## {name}: failed\n\n```\n{traceback.format_exc()}```"
        print(
            f"\n{section.rstrip()}\n\n_{name} took {time.perf_counter() - started:.0f} s._",
            flush=True,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
