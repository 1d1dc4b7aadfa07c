"""One INSERT ... ON CONFLICT DO UPDATE statement for many rows, cheaper to build than the
ORM's `bulk_create(update_conflicts=True)` on the hottest writes (answers, confirmations).

On PostgreSQL the rows travel as one array per column (`SELECT * FROM UNNEST(...)`), so
the statement text has one placeholder per column whatever the number of rows: the
driver parses (and caches) a short statement instead of re-parsing hundreds of
placeholders on every request. SQLite gets a multi-row VALUES list, split under its
bound-parameter limit.

Values must already be in their database form (`field.get_db_prep_save(...)`): sealed,
adapted. Table, column and type names come from model metadata, never from input.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def upsert_rows(
    *,
    model,
    fields: Sequence[str],
    rows: Sequence[Sequence],
    conflict: Sequence[str],
    update: Sequence[str],
    arrays: bool = True,
) -> None:
    """Insert `rows` (tuples of database values in the order of `fields`) into `model`'s
    table; a row that collides on `conflict` has its `update` fields replaced, or is
    skipped when `update` is empty (ON CONFLICT DO NOTHING; with no `conflict` either, a
    collision on any unique constraint is skipped, as bulk_create's ignore_conflicts).

    `arrays=False`: a multi-row VALUES list on PostgreSQL too. For long text or JSON
    values full of quotes: psycopg escapes those one value at a time in C, but inside an
    array literal character by character in Python (about 1 ms per scoring result)."""
    if not rows:
        return
    if update and not conflict:
        raise ValueError("DO UPDATE needs the conflict columns")
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    conflict_sql = ", ".join(meta.get_field(name).column for name in conflict)
    update_sql = ", ".join(
        f"{meta.get_field(name).column} = EXCLUDED.{meta.get_field(name).column}" for name in update
    )
    head = f"INSERT INTO {meta.db_table} ({', '.join(columns)}) "  # noqa: S608
    target = f" ({conflict_sql})" if conflict else ""
    action = f"DO UPDATE SET {update_sql}" if update else "DO NOTHING"
    tail = f" ON CONFLICT{target} {action}"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and arrays:
            types = [meta.get_field(name).cast_db_type(connection) for name in fields]
            unnest = ", ".join(f"%s::{db_type}[]" for db_type in types)
            cursor.execute(
                f"{head}SELECT * FROM UNNEST({unnest}){tail}",  # noqa: S608 (names only)
                [list(column) for column in zip(*rows, strict=True)],
            )
            return
        limit = connection.features.max_query_params
        size = max(1, limit // len(columns)) if limit else len(rows)
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(
                f"{head}VALUES {', '.join([placeholder] * len(chunk))}{tail}",  # noqa: S608
                [value for row in chunk for value in row],
            )
