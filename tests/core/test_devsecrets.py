"""Development secrets outlive a restart: `make run` restarted keeps people signed in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
READ_SECRET_KEY = "from django.conf import settings; print(settings.SECRET_KEY)"


def _secret_key_of_a_new_process(secret_file: Path, **extra) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "PORTCULLIS_TESTING", "PORTCULLIS_ENV"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PORTCULLIS_TESTING="0",
        SECRET_KEY_FILE=str(secret_file),
        **extra,
    )
    done = subprocess.run(
        [sys.executable, "-c", READ_SECRET_KEY],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def test_the_development_secret_key_is_made_once_and_kept_private(tmp_path):
    secret_file = tmp_path / "var" / "secret.key"
    first = _secret_key_of_a_new_process(secret_file)
    assert first.startswith("dev-insecure-") and len(first) > 50
    assert secret_file.stat().st_mode & 0o777 == 0o600
    # The next process (a restart, or runserver's reloader) reads the same key...
    assert _secret_key_of_a_new_process(secret_file) == first
    # ...another checkout makes its own, and a configured key wins and writes nothing.
    assert _secret_key_of_a_new_process(tmp_path / "other" / "secret.key") != first
    configured = _secret_key_of_a_new_process(
        tmp_path / "unused" / "secret.key", SECRET_KEY="configured-" + "k" * 50
    )
    assert configured == "configured-" + "k" * 50
    assert not (tmp_path / "unused").exists()
