"""Loading packs: idempotent, versioned, all or nothing."""

from __future__ import annotations

import pytest

from apps.catalogue.models import Control, Pack, Scenario, Section
from apps.catalogue.schema import PackValidationError
from apps.catalogue.selectors import pack_latest
from apps.catalogue.services import (
    CatalogueLoadError,
    content_sha256,
    pack_load_data,
    pack_load_file,
    pack_load_files,
)
from tests.catalogue.packs import minimal_pack_data

pytestmark = pytest.mark.django_db


def test_loading_a_pack_creates_its_rows_in_order(pack_data):
    result = pack_load_data(pack_data, source_path="packs/test.yaml")

    assert result.created is True
    pack = result.pack
    assert (pack.slug, pack.version, pack.source_path) == ("test-pack", "2026.1", "packs/test.yaml")
    assert pack.audiences == ["parliamentarian", "staff"]
    assert [s["id"] for s in pack.sources] == ["cyber-aware", "hri"]
    assert pack.content_sha256 == content_sha256(pack.content)
    assert list(Section.objects.filter(pack=pack).values_list("key", "order")) == [
        ("accounts", 0),
        ("devices", 1),
    ]
    controls = Control.objects.filter(pack=pack).order_by("order")
    assert [(c.key, c.section.key) for c in controls] == [
        ("T-ACC-01", "accounts"),
        ("T-ACC-02", "accounts"),
        ("T-ACC-03", "accounts"),
        ("T-DEV-01", "devices"),
        ("T-DEV-02", "devices"),
        ("T-GOV-01", "devices"),
    ]
    acc01, dev02, gov01 = controls[0], controls[4], controls[5]
    assert acc01.critical is True and acc01.effort == "low"
    assert acc01.remediation[1] == "Turn on 2-step verification with an authenticator app."
    assert [a["key"] for a in acc01.answers] == ["yes", "partly", "no", "unsure", "na"]
    assert dev02.applies_if == {"control": "T-DEV-01", "in": ["yes", "partly"]}
    assert gov01.baseline_reason == "Baseline hygiene: shortens any incident."
    scenario = Scenario.objects.get(pack=pack)
    assert scenario.key == "account-takeover"
    assert scenario.bands == {"low": 0.0, "moderate": 0.2, "high": 0.5, "critical": 0.8}
    assert scenario.bands_reason == "Evenly spread for tests."
    assert scenario.tree["children"][0]["op"] == "or"


def test_reloading_the_same_pack_changes_nothing(pack_data):
    first = pack_load_data(pack_data).pack

    again = pack_load_data(minimal_pack_data())

    assert again.created is False
    assert again.pack.pk == first.pk
    assert again.pack.loaded_at == first.loaded_at
    assert Pack.objects.count() == 1
    assert Control.objects.count() == 6


def test_the_same_content_written_differently_is_the_same_pack(pack_data):
    pack_load_data(pack_data)
    # Integers for floats and surrounding whitespace are not changes of content.
    reworded = minimal_pack_data()
    reworded["scenarios"][0]["bands"]["critical"] = 0.80
    reworded["scenarios"][0]["tree"]["children"][1]["p0"] = 1
    reworded["title"] = "  Test pack for people in public life\n"

    assert pack_load_data(reworded).created is False


def test_changed_content_under_a_loaded_version_is_refused_and_changes_nothing(pack_data):
    original = pack_load_data(pack_data).pack
    changed = minimal_pack_data()
    changed["sections"][0]["controls"][0]["title"] = "Something else"

    with pytest.raises(PackValidationError) as caught:
        pack_load_data(changed)

    assert caught.value.errors == [
        (
            "version",
            "pack test-pack version 2026.1 is already loaded with different content; "
            "give the changed pack a new version",
        )
    ]
    assert Pack.objects.count() == 1
    assert Control.objects.get(pack=original, key="T-ACC-01").title == (
        "Turn on 2-step verification on personal email"
    )


def test_a_new_version_is_stored_beside_the_old_one(pack_data):
    old = pack_load_data(pack_data).pack
    newer = minimal_pack_data(version="2026.2")
    newer["sections"][0]["controls"][0]["title"] = "Use 2-step verification everywhere"

    result = pack_load_data(newer)

    assert result.created is True
    assert sorted(Pack.objects.values_list("version", flat=True)) == ["2026.1", "2026.2"]
    # The old version is not pinned by any assessment, and it still keeps every row.
    assert Control.objects.filter(pack=old).count() == 6
    assert Section.objects.filter(pack=old).count() == 2
    assert Scenario.objects.filter(pack=old).count() == 1
    assert Control.objects.get(pack=old, key="T-ACC-01").title == (
        "Turn on 2-step verification on personal email"
    )
    assert Control.objects.get(pack=result.pack, key="T-ACC-01").title == (
        "Use 2-step verification everywhere"
    )


def test_a_yaml_file_loads(write_pack, pack_data):
    path = write_pack(pack_data)

    result = pack_load_file(path)

    assert result.created is True
    assert result.pack.source_path == str(path)
    assert result.pack.content["sections"][0]["controls"][1]["answers"][0]["key"] == "yes"


def test_a_yaml_syntax_error_names_the_line(write_pack):
    path = write_pack("id: test-pack\nversion: '1'\ntitle: [unclosed\naudiences: []\n")

    with pytest.raises(PackValidationError) as caught:
        pack_load_file(path)

    [(where, reason)] = caught.value.errors
    assert where == "line 4, column 10"
    assert reason.startswith("YAML syntax error: ")
    assert caught.value.source == str(path)
    assert Pack.objects.count() == 0


def test_a_key_written_twice_in_yaml_is_an_error_not_a_silent_overwrite(write_pack):
    path = write_pack("id: test-pack\nversion: '1'\nid: other-pack\n")

    with pytest.raises(PackValidationError) as caught:
        pack_load_file(path)

    [(where, reason)] = caught.value.errors
    assert where == "line 3, column 1"
    assert "found the key 'id' twice (first on line 1)" in reason


def test_an_empty_or_missing_file_is_refused(write_pack, tmp_path):
    with pytest.raises(PackValidationError, match="the file is empty"):
        pack_load_file(write_pack(""))
    with pytest.raises(PackValidationError, match="cannot read the file"):
        pack_load_file(tmp_path / "missing.yaml")


def test_a_broken_file_among_several_loads_nothing(write_pack, pack_data):
    good = write_pack(pack_data, "good.yaml")
    other = write_pack(minimal_pack_data(pack_id="other-pack"), "other.yaml")
    broken_data = minimal_pack_data(pack_id="broken-pack")
    broken_data["sections"][0]["controls"][0]["mitigates"] = ["T12"]
    broken = write_pack(broken_data, "broken.yaml")

    with pytest.raises(CatalogueLoadError) as caught:
        pack_load_files([good, broken, other])

    assert caught.value.lines() == [
        f"{broken}: sections[0].controls[0].mitigates[0]: 'T12' is not an ATT&CK technique id "
        "(T1234, T1234.001 or mobile:T1234)"
    ]
    assert Pack.objects.count() == 0


def test_a_version_conflict_in_a_later_file_rolls_back_the_earlier_ones(write_pack, pack_data):
    pack_load_data(pack_data)
    fresh = write_pack(minimal_pack_data(pack_id="fresh-pack"), "fresh.yaml")
    changed_data = minimal_pack_data()
    changed_data["title"] = "Changed without a new version"
    changed = write_pack(changed_data, "changed.yaml")

    with pytest.raises(CatalogueLoadError) as caught:
        pack_load_files([fresh, changed])

    assert caught.value.lines() == [
        f"{changed}: version: pack test-pack version 2026.1 is already loaded with different "
        "content; give the changed pack a new version"
    ]
    assert list(Pack.objects.values_list("slug", flat=True)) == ["test-pack"]


def test_the_same_pack_version_in_two_files_is_refused(write_pack, pack_data):
    first = write_pack(pack_data, "a.yaml")
    second = write_pack(pack_data, "b.yaml")

    with pytest.raises(CatalogueLoadError) as caught:
        pack_load_files([first, second])

    assert caught.value.lines() == [
        f"{second}: version: pack test-pack version 2026.1 is also in {first}"
    ]
    assert Pack.objects.count() == 0


def test_several_files_load_together(write_pack, pack_data):
    paths = [
        write_pack(pack_data, "a.yaml"),
        write_pack(minimal_pack_data(pack_id="other-pack"), "b.yaml"),
    ]

    results = pack_load_files(paths)

    assert [(r.pack.slug, r.created) for r in results] == [
        ("test-pack", True),
        ("other-pack", True),
    ]
    assert [r.created for r in pack_load_files(paths)] == [False, False]


def test_versions_of_one_pack_load_oldest_first_so_the_newest_is_the_default(write_pack, pack_data):
    # high-risk-individuals-2026.2.yaml sorts before high-risk-individuals.yaml
    newer = minimal_pack_data(version="2026.2")
    newer["title"] = "Test pack, second edition"
    tenth = minimal_pack_data(version="2026.10")
    tenth["title"] = "Test pack, tenth edition"
    paths = [
        write_pack(tenth, "test-pack-2026.10.yaml"),
        write_pack(newer, "test-pack-2026.2.yaml"),
        write_pack(pack_data, "test-pack.yaml"),
    ]

    results = pack_load_files(paths)

    assert [r.pack.version for r in results] == ["2026.1", "2026.2", "2026.10"]
    assert pack_latest(slug="test-pack").version == "2026.10"
