"""Fixtures for the scoring app's database tests: packs as rows, assessments with answers."""

from __future__ import annotations

import hashlib
import json

import pytest

from apps.assessments.models import Answer, Assessment
from apps.catalogue.models import Pack
from apps.catalogue.services import pack_load_file
from tests.scoring.builders import AND, OR, control, leaf, pack, scenario
from tests.scoring.packs import PACKS_DIR


def small_pack_content(version: str = "1") -> dict:
    """Two routes under an OR (a pair closes them) and a detection step beside them."""
    content = pack(
        [control("A", critical=True), control("B", effort="medium"), control("S", section="s2")],
        [scenario("s", AND("r", OR("o", leaf("l1", A=0.9), leaf("l2", B=0.9)), leaf("l3", S=0.3)))],
        audiences=("parliamentarian", "staff"),
    )
    content["version"] = version
    return content


@pytest.fixture
def make_pack(db):
    """`make_pack(content)`: a Pack row holding `content` as is (no loader involved)."""

    def _make(content: dict) -> Pack:
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
        return Pack.objects.create(
            slug=content["id"],
            version=content["version"],
            title=content["title"],
            audiences=content["audiences"],
            content=content,
            content_sha256=digest,
        )

    return _make


@pytest.fixture
def small_pack(make_pack):
    return make_pack(small_pack_content())


@pytest.fixture
def shipped_pack(db):
    """`shipped_pack(name)`: a shipped YAML pack loaded the way load_catalogue loads it."""

    def _load(name: str) -> Pack:
        return pack_load_file(PACKS_DIR / f"{name}.yaml").pack

    return _load


@pytest.fixture
def assessment_with(org_a, alice):
    """`assessment_with(pack, answers, audience=...)`: alice's assessment with answers."""

    def _make(pack_row: Pack, answers: dict[str, str], audience: str = "parliamentarian"):
        assessment = Assessment.objects.create(
            user=alice, organisation=org_a, pack=pack_row, audience=audience
        )
        Answer.objects.bulk_create(
            Answer(assessment=assessment, control_key=c, answer_key=a) for c, a in answers.items()
        )
        return assessment

    return _make
