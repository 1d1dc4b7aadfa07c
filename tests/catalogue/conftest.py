"""Fixtures for the catalogue tests: a valid pack to break, and YAML files of it."""

from __future__ import annotations

import pytest
import yaml

from tests.catalogue.packs import minimal_pack_data


@pytest.fixture
def pack_data() -> dict:
    """A fresh valid pack dict (tests/catalogue/packs.py) that a test may break."""
    return minimal_pack_data()


@pytest.fixture
def write_pack(tmp_path):
    """`write_pack(data_or_text, name)`: write a pack file and return its path."""

    def _write(data, name: str = "pack.yaml"):
        path = tmp_path / name
        text = data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return _write
