"""Packs and assessments for the questionnaire tests."""

from __future__ import annotations

import pytest

from apps.assessments.services import assessment_start
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data


def large_pack_data(*, extra_controls: int = 150) -> dict:
    """The minimal pack plus `extra_controls` baseline questions in three more sections,
    to show that query counts do not grow with the size of a pack."""
    data = minimal_pack_data(pack_id="large-test-pack")
    prefixes = ["X-AAA", "X-AAB", "X-AAC", "X-AAD"]
    per_section = -(-extra_controls // 3)
    made = 0
    for section_number in range(3):
        controls = []
        while len(controls) < per_section and made < extra_controls:
            prefix = prefixes[made // 100]
            controls.append(
                {
                    "id": f"{prefix}-{made % 100:02d}",
                    "title": f"Extra control {made}",
                    "question": f"Is extra protection number {made} in place?",
                    "help": "Padding for size tests.",
                    "audiences": ["parliamentarian", "staff"],
                    "effort": "low",
                    "remediation": ["Put it in place."],
                    "references": ["cyber-aware"],
                    "mitigates": ["T1078"],
                    "baseline_reason": "Baseline hygiene, asked of everyone.",
                }
            )
            made += 1
        data["sections"].append(
            {
                "id": f"extra-{section_number}",
                "title": f"Extra {section_number}",
                "controls": controls,
            }
        )
    return data


@pytest.fixture
def pack(db):
    return pack_load_data(minimal_pack_data()).pack


@pytest.fixture
def large_pack(db):
    return pack_load_data(large_pack_data()).pack


@pytest.fixture
def alice_assessment(alice, pack):
    return assessment_start(actor=alice, pack=pack)
