"""Objects for the API tests (the keys and clients are in tests/api/fixtures.py)."""

from __future__ import annotations

import pytest

from apps.assessments.services import assessment_start


@pytest.fixture
def alice_assessment(alice, pack):
    return assessment_start(actor=alice, pack=pack)
