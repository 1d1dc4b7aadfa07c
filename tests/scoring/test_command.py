"""manage.py score: one JSON object out, or a clear refusal with exit status 2."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.scoring import engine
from apps.scoring.models import Score
from tests.scoring.conftest import small_pack_content

pytestmark = pytest.mark.django_db


@pytest.fixture
def answers_file(tmp_path):
    def _write(data, *, raw: str | None = None):
        path = tmp_path / "answers.json"
        path.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
        return str(path)

    return _write


def run(*args) -> dict:
    out = io.StringIO()
    call_command("score", *args, stdout=out)
    return json.loads(out.getvalue())  # exactly one JSON document, nothing else


def refused(*args) -> CommandError:
    with pytest.raises(CommandError) as error:
        call_command("score", *args, stdout=io.StringIO())
    assert error.value.returncode == 2
    return error.value


def test_it_prints_the_score_of_a_shipped_pack(shipped_pack, answers_file):
    pack = shipped_pack("election-bodies")
    answers = {"O-ID-04": "no", "E-VM-02": "partly"}

    data = run("--pack", pack.slug, "--answers", answers_file(answers))

    assert list(data) == [
        "pack", "version", "engine_version", "audience", "scenarios", "sections",
        "baseline_met", "plan",
    ]  # fmt: skip
    compiled = engine.compile_pack(pack.content)
    expected = engine.evaluate(compiled, answers, compiled.audiences[0])
    assert (data["pack"], data["version"]) == (pack.slug, pack.version)
    assert data["engine_version"] == engine.ENGINE_VERSION
    assert data["audience"] == compiled.audiences[0]  # the pack's first audience
    assert [s["id"] for s in data["scenarios"]] == [s.id for s in expected.scenarios]
    first = data["scenarios"][0]
    assert set(first) == {"id", "exposure", "score", "band", "open_routes", "route", "cut_sets"}
    assert first["exposure"] == round(expected.scenarios[0].exposure, 6)
    assert data["sections"][0] == {
        "id": expected.sections[0].id,
        "coverage": round(expected.sections[0].coverage, 6),
    }
    assert data["baseline_met"] is False
    step = data["plan"][0]
    assert step["control"] == " + ".join(expected.plan[0].controls)
    assert set(step["cuts"]) <= {s.id for s in expected.scenarios}
    assert not Score.objects.exists()  # the command only reads


def test_steps_say_which_ways_in_they_close(make_pack, answers_file):
    make_pack(small_pack_content())
    data = run("--pack", "test-pack@1", "--answers", answers_file({}), "--audience", "staff")
    assert data["audience"] == "staff"
    # A and B each block one of the two routes under the OR (0.9): two ways in. A first
    # (effort 1), then B (effort 2), then S, which only detects (0.3).
    assert data["scenarios"][0]["open_routes"] == 2
    assert [step["control"] for step in data["plan"]] == ["A", "B", "S"]
    assert [step["routes"] for step in data["plan"]] == [
        {"s": [2, 1]},
        {"s": [1, 0]},
        {"s": [0, 0]},
    ]
    # A alone cuts no exposure while B's route is certain; B then closes it: 0.1 × 1 × 1
    assert [step["cuts"] for step in data["plan"]] == [
        {"s": [1.0, 1.0]},
        {"s": [1.0, 0.19]},
        {"s": [0.19, 0.133]},
    ]


def test_a_pair_step_names_both_controls(make_pack, answers_file):
    content = small_pack_content()
    routes = content["scenarios"][0]["tree"]["children"][0]["children"]
    for step in routes:  # A and B now detect rather than block: no way in to close
        step["mitigations"][0]["effectiveness"] = 0.5
    make_pack(content)
    data = run("--pack", "test-pack@1", "--answers", answers_file({}), "--audience", "staff")
    # S first (cut 0.3 per effort 1), then the pair (0.7 × 0.25 per effort 1 + 2)
    single, pair = data["plan"]
    assert (single["control"], "controls" in single) == ("S", False)
    assert pair["control"] == "A + B"
    assert pair["controls"] == ["A", "B"]
    assert pair["effort"] == 3
    assert pair["cuts"] == {"s": [0.7, 0.525]}
    assert pair["routes"] == {"s": [1, 1]}


def test_the_version_can_be_chosen(make_pack, answers_file):
    make_pack(small_pack_content(version="1"))
    make_pack(small_pack_content(version="2"))
    assert run("--pack", "test-pack@1", "--answers", answers_file({}))["version"] == "1"
    assert run("--pack", "test-pack", "--answers", answers_file({}))["version"] == "2"


def test_missing_answers_count_as_unanswered(make_pack, answers_file):
    pack = make_pack(small_pack_content())
    data = run("--pack", "test-pack", "--answers", answers_file({"S": "yes"}))
    expected = engine.evaluate(engine.compile_pack(pack.content), {"S": "yes"}, "parliamentarian")
    assert data["scenarios"][0]["exposure"] == round(expected.scenarios[0].exposure, 6)
    assert data["sections"][0]["coverage"] == 0.0  # A and B unanswered


def test_unknown_controls_and_answer_keys_are_each_named(make_pack, answers_file):
    make_pack(small_pack_content())
    error = refused(
        "--pack", "test-pack", "--answers", answers_file({"A": "maybe", "ZZ-1": "yes", "Q": "no"})
    )
    message = str(error)
    assert "unknown answer 'maybe' for A" in message
    assert "unknown control id 'ZZ-1'" in message
    assert "unknown control id 'Q'" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("{not json", "not valid JSON"),
        ('["A", "yes"]', "must be a JSON object"),
        ('{"A": 1}', "must be answer keys"),
    ],
)
def test_malformed_files_are_refused(make_pack, answers_file, raw, expected):
    make_pack(small_pack_content())
    assert expected in str(refused("--pack", "test-pack", "--answers", answers_file(None, raw=raw)))


def test_a_missing_file_is_refused(make_pack, tmp_path):
    make_pack(small_pack_content())
    error = refused("--pack", "test-pack", "--answers", str(tmp_path / "nope.json"))
    assert "no such file" in str(error)


def test_an_unknown_pack_or_version_is_refused_with_what_is_loaded(make_pack, answers_file):
    make_pack(small_pack_content())
    for label in ("nope", "test-pack@9"):
        error = refused("--pack", label, "--answers", answers_file({}))
        assert f"No pack '{label}'" in str(error)
        assert "test-pack@1" in str(error)


def test_an_unknown_audience_is_refused(make_pack, answers_file):
    make_pack(small_pack_content())
    error = refused("--pack", "test-pack", "--answers", answers_file({}), "--audience", "office")
    assert "'office' is not one of" in str(error)
    assert "parliamentarian, staff" in str(error)
