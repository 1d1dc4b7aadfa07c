"""Development secrets that outlive a restart, kept under var/ (never in git).

No Django imports: config/settings.py uses it before Django is set up. Production never
calls it (every secret there is a required setting; the production guard says so).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def development_secret(path: Path, generate) -> bytes:
    """The secret in `path`, made by `generate()` and written atomically on first use (two
    processes may race; the first link wins and both read it). Development only: a
    secret that must outlive a restart when no setting provides one."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(generate())
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):  # another process got there first
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path.read_bytes().strip()
