"""Two tabs answering the same assessment at once: no answer lost, no error.

On PostgreSQL the two tabs are two threads with their own connections to the test
database. The suite's SQLite test database lives in memory with a shared cache, whose
table locks fail at once instead of waiting, unlike the file database the service runs
on; so on SQLite the same two tabs run in a child process against a fresh SQLite file
configured exactly as in production (WAL, IMMEDIATE transactions, busy timeout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import connection

from apps.assessments import services
from apps.assessments.models import Answer

ROUNDS = 15
REPO = Path(__file__).resolve().parents[2]


def two_tabs(*, actor, assessment) -> tuple[list[str], dict[str, str], int]:
    """Both tabs answer T-ACC-01 (the same question) and one other question each,
    ROUNDS times. Returns the errors, the stored answers and the number of rows."""
    errors: list[str] = []
    start = threading.Barrier(2)

    def tab(controls, keys):
        def work():
            try:
                start.wait()
                for round_number in range(ROUNDS):
                    for control in controls:
                        services.answer_save(
                            actor=actor,
                            assessment=assessment,
                            control_key=control,
                            answer_key=keys[round_number % len(keys)],
                        )
            except Exception as exc:  # reported to the test thread
                errors.append(repr(exc))
            finally:
                connection.close()

        return threading.Thread(target=work)

    tabs = [
        tab(["T-ACC-01", "T-ACC-02"], ["no", "yes"]),
        tab(["T-ACC-01", "T-ACC-03"], ["partly", "yes"]),
    ]
    for thread in tabs:
        thread.start()
    for thread in tabs:
        thread.join(120)
    rows = Answer.objects.filter(assessment=assessment)
    return errors, dict(rows.values_list("control_key", "answer_key")), rows.count()


def _assert_nothing_lost(errors, stored, count):
    assert errors == []
    assert count == 3
    # ROUNDS is odd, so each tab's last round wrote its first key: "no" and "partly".
    # Whichever tab wrote T-ACC-01 last, its value is the one kept.
    assert stored["T-ACC-01"] in {"no", "partly"}
    assert stored["T-ACC-02"] == "no" and stored["T-ACC-03"] == "partly"


@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_at_once_lose_nothing_and_last_write_wins(alice, pack, tmp_path):
    if connection.vendor == "sqlite":
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'tabs.sqlite3'}",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PORTCULLIS_TESTING": "1",
        }
        probe = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.assessments.two_tabs_probe"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert probe.returncode == 0, probe.stderr[-3000:]
        outcome = json.loads(probe.stdout.strip().splitlines()[-1])
        _assert_nothing_lost(outcome["errors"], outcome["stored"], outcome["count"])
        return
    assessment = services.assessment_start(actor=alice, pack=pack)
    _assert_nothing_lost(*two_tabs(actor=alice, assessment=assessment))
