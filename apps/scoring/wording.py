"""Plain-English words for the engine's numbers, shared by the results page and the report.

Pure: no Django. Open routes are an expected count (a "partly" answer leaves a route half
open). Whole numbers read as counts; anything else reads "about N", rounded to a whole
number, because "6.8 ways in" means nothing to a busy reader.
"""

from __future__ import annotations

import math


def _whole(value: float) -> int:
    return math.floor(float(value) + 0.5)


def _count(value: float) -> str:
    value = round(float(value), 1)
    if value.is_integer():
        return str(int(value))
    return f"about {max(_whole(value), 1)}"


def _shown(value: float) -> int:
    """The whole number a reader sees for `value` (never 0 for a way still partly open)."""
    value = round(float(value), 1)
    return int(value) if value.is_integer() else max(_whole(value), 1)


def _ways(value: float) -> str:
    return f"{_count(value)} way{'' if _shown(value) == 1 else 's'} in"


def ways_in_closed(before: float, after: float) -> str:
    """What one plan step does to the open routes of a scenario: "closes 1 of 3 ways in",
    "closes the last way in", "" when it closes none (it cuts exposure only)."""
    before, after = round(float(before), 1), round(float(after), 1)
    if after >= before:
        return ""
    if after == 0:
        if before == 1:
            return "closes the last way in"
        return (
            f"closes all {_ways(before)}"
            if before.is_integer()
            else "closes every way in still open"
        )
    closed = round(before - after, 1)
    if before.is_integer() and after.is_integer():
        return f"closes {_count(closed)} of {_ways(before)}"
    if _shown(before) == _shown(after):
        return "partly closes a way in"
    return f"narrows the open ways in from {_count(before)} to {_count(after)}"


def ways_in_open(count: float) -> str:
    """How many ways in are still open: "no way in left open", "1 way in still open"."""
    if round(float(count), 1) == 0:
        return "no way in left open"
    return f"{_ways(count)} still open"
