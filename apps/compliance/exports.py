"""CSV and XLSX exports of the compliance pages' figures.

The tables come from the same selectors as the pages, so the same scoping and the same
AGGREGATE_MIN_PEOPLE rule apply (a hidden aggregate exports as one explanatory row, no
figures). Spreadsheet safety: a text cell that starts with =, +, -, @, a tab or a carriage
return gets a leading ' so no spreadsheet reads it as a formula; numbers stay numbers, and
an XLSX is written with every cell as a plain value (openpyxl writes a string starting
with "=" as a formula unless told otherwise: we set the data type explicitly).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from apps.compliance import selectors

KINDS = ("members", "results", "plan")
FORMATS = ("csv", "xlsx")
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple]


def neutralise(value):
    """A cell value safe for a spreadsheet: text that a spreadsheet would run as a formula
    gets a leading apostrophe; numbers, dates and empty cells pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | date | datetime):
        return value
    text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def _hidden_row(k: int) -> list[tuple]:
    return [(f"Hidden: fewer than {k} people have submitted in this group.",)]


def _members(user, filters) -> Table:
    scenario_ids: list[str] = []
    rows = selectors.member_status_list_for_user(user=user, filters=filters)
    for row in rows:
        for sid in row["bands"]:
            if sid not in scenario_ids:
                scenario_ids.append(sid)
    header = ("Name", "Email", "Audience", "Campaign", "Status", "Due date", *scenario_ids)
    return Table(
        title="Members",
        header=header,
        rows=[
            (
                r["name"],
                r["email"],
                r["audience_label"],
                r["campaign"],
                r["status_label"],
                r["due_date"],
                *(r["bands"].get(sid, "") for sid in scenario_ids),
            )
            for r in rows
        ],
    )


def _results(user, filters) -> Table:
    data = selectors.dashboard_for_user(user=user, filters=filters)["results"]
    header = ("Scenario", "Band", "People", "Percent")
    if data["hidden"]:
        return Table(title="Results", header=header, rows=_hidden_row(data["min_people"]))
    rows: list[tuple] = [
        (
            "All scenarios",
            "baseline not met",
            data["baseline_not_met"],
            data["baseline_not_met_percent"],
        )
    ]
    for scenario in data["scenarios"]:
        for band in scenario["bands"]:
            rows.append((scenario["title"], band["band"], band["count"], band["percent"]))
    return Table(title="Results", header=header, rows=rows)


def _plan(user, filters) -> Table:
    data = selectors.organisation_plan_for_user(user=user, filters=filters)
    header = (
        "Questionnaire",
        "Control",
        "Title",
        "Effort",
        "People who lack it",
        "Organisation exposure now",
        "Exposure if they all put it in place",
        "Cut",
    )
    if data["hidden"]:
        return Table(title="Organisation plan", header=header, rows=_hidden_row(data["min_people"]))
    rows = []
    for pack in data["packs"]:
        for step in pack["steps"]:
            rows.append(
                (
                    pack["title"],
                    step["control"],
                    step["title"],
                    step["effort"],
                    step["people"],
                    step["exposure_before"],
                    step["exposure_after"],
                    step["cut"],
                )
            )
    return Table(title="Organisation plan", header=header, rows=rows)


def table_for(*, kind: str, user, filters) -> Table:
    """The table an export holds; the selectors scope it and apply the threshold."""
    return {"members": _members, "results": _results, "plan": _plan}[kind](user, filters)


def _csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(h) for h in table.header])
    for row in table.rows:
        writer.writerow([v.isoformat() if isinstance(v, date) else v for v in map(neutralise, row)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel reads it as UTF-8


def _xlsx(table: Table) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.title[:31]
    for r, row in enumerate([table.header, *table.rows], start=1):
        for c, raw in enumerate(row, start=1):
            value = neutralise(raw)
            cell = sheet.cell(row=r, column=c)
            cell.value = value
            if isinstance(value, str):
                # SECURITY: a plain string cell, never a formula, whatever it starts with.
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(table: Table, fmt: str) -> tuple[io.BytesIO, str]:
    payload = _csv(table) if fmt == "csv" else _xlsx(table)
    return io.BytesIO(payload), CONTENT_TYPES[fmt]
