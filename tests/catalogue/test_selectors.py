"""Catalogue reads: latest versions, audiences, unknown packs."""

from __future__ import annotations

import pytest
from django.http import Http404

from apps.catalogue import selectors
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data

pytestmark = pytest.mark.django_db


def election_pack(version="2026.1"):
    data = minimal_pack_data(pack_id="election-test", version=version)
    data["audiences"] = ["election_official", "staff"]
    for section in data["sections"]:
        for control in section["controls"]:
            control["audiences"] = ["election_official"]
    data["scenarios"][0]["audiences"] = ["election_official"]
    return data


def test_latest_is_the_most_recently_loaded_version_not_the_highest_string():
    pack_load_data(minimal_pack_data(version="2026.10"))
    pack_load_data(minimal_pack_data(version="2026.9"))

    assert selectors.pack_latest(slug="test-pack").version == "2026.9"
    assert selectors.pack_get(slug="test-pack").version == "2026.9"
    assert selectors.pack_get(slug="test-pack", version="2026.10").version == "2026.10"


def test_unknown_packs_and_versions_raise_404():
    pack_load_data(minimal_pack_data())

    with pytest.raises(Http404):
        selectors.pack_latest(slug="nope")
    with pytest.raises(Http404):
        selectors.pack_get(slug="test-pack", version="1999.1")


def test_list_latest_gives_one_row_per_pack_with_counts():
    pack_load_data(minimal_pack_data())
    pack_load_data(minimal_pack_data(version="2026.2"))
    pack_load_data(election_pack())

    packs = list(selectors.pack_list_latest())

    assert [(p.slug, p.version) for p in packs] == [
        ("election-test", "2026.1"),
        ("test-pack", "2026.2"),
    ]
    assert [(p.section_count, p.control_count, p.scenario_count) for p in packs] == [
        (2, 6, 1),
        (2, 6, 1),
    ]


def test_list_for_audience_keeps_the_packs_written_for_it():
    pack_load_data(minimal_pack_data())
    pack_load_data(election_pack())

    def slugs(audience):
        return [p.slug for p in selectors.pack_list_for_audience(audience=audience)]

    assert slugs("parliamentarian") == ["test-pack"]
    assert slugs("election_official") == ["election-test"]
    assert slugs("staff") == ["election-test", "test-pack"]
    assert slugs("peer") == []


def test_sections_and_controls_come_in_pack_order_in_few_queries(django_assert_num_queries):
    pack = pack_load_data(minimal_pack_data()).pack

    with django_assert_num_queries(2):
        layout = [
            (s.key, [c.key for c in s.controls.all()]) for s in selectors.section_list(pack=pack)
        ]
    with django_assert_num_queries(1):
        controls = [(c.key, c.section.key) for c in selectors.control_list(pack=pack)]

    assert layout == [
        ("accounts", ["T-ACC-01", "T-ACC-02", "T-ACC-03"]),
        ("devices", ["T-DEV-01", "T-DEV-02", "T-GOV-01"]),
    ]
    assert controls[3] == ("T-DEV-01", "devices")
