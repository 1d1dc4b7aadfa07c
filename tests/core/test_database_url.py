"""A bad DATABASE_URL stops the service with a clear message, not a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config.database import database_from_env

BASE_DIR = Path(settings.BASE_DIR)


def test_the_default_is_a_sqlite_file_under_var(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    env = environ.Env()
    env.ENVIRON = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

    config = database_from_env(env, tmp_path)

    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(config["NAME"]) == tmp_path / "var" / "db.sqlite3"


def test_a_postgres_url_is_understood(tmp_path):
    env = environ.Env()
    env.ENVIRON = {"DATABASE_URL": "postgres://app:secret@db.internal:5433/portcullis"}

    config = database_from_env(env, tmp_path)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.internal", 5433, "portcullis")


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/portcullis", "not a url", "postgres://app@db:notaport/portcullis"],
)
def test_a_bad_url_raises_a_clear_error_naming_the_setting(url, tmp_path):
    env = environ.Env()
    env.ENVIRON = {"DATABASE_URL": url}

    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        database_from_env(env, tmp_path)


def test_the_message_never_shows_the_password(tmp_path):
    env = environ.Env()
    env.ENVIRON = {"DATABASE_URL": "mysql://root:hunter2@localhost/portcullis"}

    with pytest.raises(ImproperlyConfigured) as excinfo:
        database_from_env(env, tmp_path)

    assert "hunter2" not in str(excinfo.value)


def _migrate(url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTCULLIS_")}
    env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "url", ["mysql://root:hunter2@localhost/portcullis", "postgres://app@db:notaport/portcullis"]
)
def test_migrate_with_a_malformed_url_prints_one_clear_line(url):
    result = _migrate(url)

    assert result.returncode != 0
    assert "Portcullis cannot start: DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr


def test_migrate_against_an_unreachable_database_says_so_plainly():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    result = _migrate(f"postgres://postgres:hunter2@127.0.0.1:{port}/portcullis")

    assert result.returncode != 0
    assert "Cannot reach the postgresql database 'portcullis'" in result.stderr
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr
