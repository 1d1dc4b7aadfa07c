"""Packs the engine's tests run on: the shipped YAML packs and the research draft."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import yaml

from apps.catalogue.schema import validate_pack
from tests.scoring.draft_pack import draft_pack_content

PACKS_DIR = Path(__file__).resolve().parents[2] / "apps" / "catalogue" / "packs"
SHIPPED = (
    "high-risk-individuals",
    "election-bodies",
    "high-risk-individuals-2026.2",
    "election-bodies-2026.2",
)


@cache
def _shipped_json(name: str) -> str:
    raw = yaml.safe_load((PACKS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    return json.dumps(validate_pack(raw))


def shipped_pack_content(name: str) -> dict:
    """The validated, normalised content of a shipped pack (what Pack.content holds)."""
    return json.loads(_shipped_json(name))


def all_pack_contents() -> dict[str, dict]:
    """Every real-world pack the engine must handle: shipped packs and the draft."""
    packs = {name: shipped_pack_content(name) for name in SHIPPED}
    packs["draft"] = draft_pack_content()
    return packs
