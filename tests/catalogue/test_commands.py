"""manage.py load_catalogue and export_catalogue."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.catalogue.models import Pack
from apps.catalogue.services import pack_load_data
from tests.catalogue.packs import minimal_pack_data

pytestmark = pytest.mark.django_db


def run(command, *args):
    """Run a command; return (stdout, stderr, exit code)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, *args, stdout=out, stderr=err)
    except CommandError as exc:
        err.write(str(exc))
        return out.getvalue(), err.getvalue(), exc.returncode
    return out.getvalue(), err.getvalue(), 0


def test_load_catalogue_loads_every_pack_in_the_packs_dir_by_default(
    settings, tmp_path, write_pack
):
    write_pack(minimal_pack_data(), "a.yaml")
    write_pack(minimal_pack_data(pack_id="other-pack"), "b.yaml")
    (tmp_path / "notes.txt").write_text("not a pack")
    settings.CATALOGUE_PACKS_DIR = tmp_path

    out, err, code = run("load_catalogue")

    assert code == 0, err
    assert out.splitlines() == [
        f"loaded: test-pack@2026.1 ({tmp_path / 'a.yaml'})",
        f"loaded: other-pack@2026.1 ({tmp_path / 'b.yaml'})",
    ]
    assert Pack.objects.count() == 2


def test_load_catalogue_twice_reports_unchanged(write_pack):
    path = write_pack(minimal_pack_data())
    run("load_catalogue", str(path))

    out, _, code = run("load_catalogue", str(path))

    assert code == 0
    assert out.splitlines() == [f"unchanged: test-pack@2026.1 ({path})"]
    assert Pack.objects.count() == 1


def test_load_catalogue_with_a_broken_file_loads_nothing_and_says_where(write_pack):
    good = write_pack(minimal_pack_data(), "good.yaml")
    broken_data = minimal_pack_data(pack_id="broken-pack")
    broken_data["scenarios"][0]["tree"]["children"][1]["p0"] = 2
    del broken_data["sections"][0]["controls"][0]["help"]
    broken = write_pack(broken_data, "broken.yaml")

    out, err, code = run("load_catalogue", str(good), str(broken))

    assert code != 0
    assert out == ""
    assert err.splitlines() == [
        f"{broken}: sections[0].controls[0].help: required field is missing",
        f"{broken}: scenarios[0].tree.children[1].p0: 2 is outside [0, 1]",
        "1 of 2 pack file(s) refused; nothing was loaded.",
    ]
    assert Pack.objects.count() == 0


def test_load_catalogue_refuses_a_path_that_does_not_exist(tmp_path):
    _, err, code = run("load_catalogue", str(tmp_path / "nope.yaml"))

    assert code != 0
    assert f"{tmp_path / 'nope.yaml'}: no such file or directory." in err


def test_export_then_load_into_a_fresh_database_gives_the_same_content(tmp_path):
    original = pack_load_data(minimal_pack_data()).pack
    out, _, code = run("export_catalogue", "--pack", "test-pack@2026.1")
    assert code == 0
    exported = tmp_path / "exported.json"
    exported.write_text(out, encoding="utf-8")
    sha, content = original.content_sha256, original.content
    Pack.objects.all().delete()

    out, err, code = run("load_catalogue", str(exported))

    assert code == 0, err
    reloaded = Pack.objects.get()
    assert reloaded.content_sha256 == sha
    assert reloaded.content == content


def test_export_uses_the_pack_format_field_names(tmp_path):
    pack_load_data(minimal_pack_data())

    out, _, _ = run("export_catalogue", "--pack", "test-pack")

    data = json.loads(out)
    assert list(data) == [
        "id",
        "version",
        "title",
        "audiences",
        "sources",
        "effort_weights",
        "sections",
        "scenarios",
    ]
    r2 = data["scenarios"][0]["tree"]["children"][1]
    assert r2["mitigations"] == [
        {
            "control": "T-ACC-01",
            "role": "primary",
            "effectiveness": 0.9,
            "reason": "2SV stops a password alone.",
        }
    ]


def test_export_without_a_pack_lists_the_latest_version_of_each():
    pack_load_data(minimal_pack_data())
    pack_load_data(minimal_pack_data(version="2026.2"))
    pack_load_data(minimal_pack_data(pack_id="other-pack"))

    out, _, code = run("export_catalogue")

    assert code == 0
    assert [(p["id"], p["version"]) for p in json.loads(out)] == [
        ("other-pack", "2026.1"),
        ("test-pack", "2026.2"),
    ]


def test_export_of_an_older_version_by_id_at_version():
    pack_load_data(minimal_pack_data())
    pack_load_data(minimal_pack_data(version="2026.2"))

    out, _, _ = run("export_catalogue", "--pack", "test-pack@2026.1")

    assert json.loads(out)["version"] == "2026.1"


@pytest.mark.parametrize("wanted", ["no-such-pack", "test-pack@1999.9"])
def test_export_of_an_unknown_pack_exits_2_with_a_clear_message(wanted):
    pack_load_data(minimal_pack_data())

    out, err, code = run("export_catalogue", "--pack", wanted)

    assert code == 2
    assert out == ""
    assert "is loaded (latest versions: test-pack@2026.1)" in err


@pytest.mark.parametrize("bad", ["Test Pack", "test-pack@", "@2026.1"])
def test_export_with_a_malformed_pack_argument_exits_2(bad):
    _, err, code = run("export_catalogue", "--pack", bad)

    assert code == 2
    assert "expected a pack id, optionally with @version" in err
