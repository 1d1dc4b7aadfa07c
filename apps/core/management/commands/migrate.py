"""`migrate` that says plainly when the database cannot be reached, instead of a traceback."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import OperationalError, connections


def describe_database(alias: str) -> str:
    """Where a connection points, without its password."""
    config = connections[alias].settings_dict
    engine = config["ENGINE"].rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"SQLite file {config['NAME']}"
    host = config.get("HOST") or "localhost"
    port = config.get("PORT") or "default port"
    return f"{engine} database {config.get('NAME')!r} on {host}:{port}"


class Command(DjangoMigrateCommand):
    def handle(self, *args, **options):
        alias = options["database"]
        try:
            connections[alias].ensure_connection()
        except OperationalError as exc:
            reason = (str(exc).strip().splitlines() or ["no reason given"])[0]
            raise CommandError(
                f"Cannot reach the {describe_database(alias)} configured by DATABASE_URL: "
                f"{reason}. Check DATABASE_URL and that the database server is running."
            ) from None
        return super().handle(*args, **options)
