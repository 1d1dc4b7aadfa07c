"""DATABASE_URL parsing with a clear error instead of a traceback."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

SUPPORTED_SCHEMES = ("sqlite", "postgres", "postgresql", "pgsql")


def database_from_env(env, base_dir: Path) -> dict:
    default = f"sqlite:///{base_dir / 'var' / 'db.sqlite3'}"
    raw = env.str("DATABASE_URL", default=default)
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in SUPPORTED_SCHEMES:
        raise ImproperlyConfigured(
            f"DATABASE_URL is not a supported database URL: {raw.split('@')[-1]!r}. "
            "Use sqlite:////absolute/path.sqlite3 or postgres://user:password@host:5432/name."
        )
    try:
        config = env.db_url_config(raw)
    except Exception as exc:  # environ raises a mix of errors for malformed URLs
        raise ImproperlyConfigured(f"DATABASE_URL could not be parsed: {exc}") from exc
    if config["ENGINE"].endswith("sqlite3"):
        name = Path(config["NAME"])
        name.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets the dev server and the in-process worker read while one writes.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # Tests use a file too, not a shared-cache in-memory database: there, a Celery worker
        # thread writing while the test reads fails at once with "table is locked" instead
        # of waiting its turn. (Under var/, one per xdist process, recreated every run.)
        config["TEST"] = {"NAME": str(name.parent / f"test-{name.stem}.sqlite3")}
    else:
        config.setdefault("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    return config
