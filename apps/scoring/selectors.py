"""Reads for scoring: compiled packs (cached), live previews and stored scores.

Nothing here writes. Callers scope assessments to the requester before asking (the
assessment selectors do); these functions take an assessment they are given.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from apps.assessments.models import Answer
from apps.catalogue.models import Pack
from apps.scoring import engine
from apps.scoring.models import Score

COMPILED_CACHE_SIZE = 32

_compiled: OrderedDict[tuple[int, str], engine.CompiledPack] = OrderedDict()
_compiled_lock = threading.Lock()


def compiled_pack_for(pack: Pack) -> engine.CompiledPack:
    """The pack compiled for the engine, cached in-process by (pk, content_sha256).

    A small LRU: a process sees a handful of pack versions. Reading `pack.content` (a
    large JSON column, often deferred) happens only on a cache miss.
    """
    key = (pack.pk, pack.content_sha256)
    with _compiled_lock:
        compiled = _compiled.get(key)
        if compiled is not None:
            _compiled.move_to_end(key)
            return compiled
    compiled = engine.compile_pack(pack.content)  # outside the lock: pure and idempotent
    with _compiled_lock:
        _compiled[key] = compiled
        _compiled.move_to_end(key)
        while len(_compiled) > COMPILED_CACHE_SIZE:
            _compiled.popitem(last=False)
    return compiled


def answers_for(*, assessment) -> dict[str, str]:
    """{control id: answer key} for the assessment, as the engine takes them."""
    return dict(
        Answer.objects.filter(assessment=assessment).values_list("control_key", "answer_key")
    )


def answers_sha256(*, pack: Pack, audience: str, answers: Mapping[str, str]) -> str:
    """Digest of everything a score depends on besides the engine: answers, audience and
    the pack's content."""
    material = json.dumps(
        {"pack": pack.content_sha256, "audience": audience, "answers": sorted(answers.items())},
        separators=(",", ":"),
    )
    return hashlib.sha256(material.encode()).hexdigest()


def score_preview(
    *, assessment, answers: Mapping[str, str] | None = None, with_plan: bool = True
) -> engine.ScoreResult:
    """Evaluate without writing anything: the stored answers, or `answers` instead
    (the live "what if" exposure while someone is answering)."""
    if answers is None:
        answers = answers_for(assessment=assessment)
    return engine.evaluate(
        compiled_pack_for(assessment.pack), answers, assessment.audience, with_plan=with_plan
    )


def score_latest_for_assessment(*, assessment) -> Score | None:
    """The most recently recorded score of this assessment, or None."""
    return (
        Score.objects.filter(assessment=assessment)
        .select_related("pack")
        .order_by("-created_at", "-pk")
        .first()
    )


def score_list_for_assessments(*, assessments: Iterable) -> dict[int, Score]:
    """{assessment pk: its most recent score} for many assessments, in one query."""
    ids = [a.pk for a in assessments]
    latest: dict[int, Score] = {}
    for score in (
        Score.objects.filter(assessment_id__in=ids)
        .select_related("pack")
        .order_by("assessment_id", "-created_at", "-pk")
    ):
        latest.setdefault(score.assessment_id, score)
    return latest


def command_output(result: engine.ScoreResult, *, pack: Pack) -> dict:
    """The `manage.py score` JSON: the result in the command's documented shape."""
    data = engine.result_to_dict(result)
    plan = []
    for step in data["plan"]:
        entry = {"control": " + ".join(step["controls"])}
        if len(step["controls"]) > 1:
            entry["controls"] = step["controls"]
        entry.update(
            {
                "title": step["title"],
                "effort": step["effort"],
                "cuts": step["cuts"],
                "routes": step["routes"],
            }
        )
        plan.append(entry)
    return {
        "pack": pack.slug,
        "version": pack.version,
        "engine_version": data["engine_version"],
        "audience": data["audience"],
        "scenarios": [
            {
                key: s[key]
                for key in ("id", "exposure", "score", "band", "open_routes", "route", "cut_sets")
            }
            for s in data["scenarios"]
        ],
        "sections": [{"id": s["id"], "coverage": s["coverage"]} for s in data["sections"]],
        "baseline_met": data["baseline_met"],
        "plan": plan,
    }


def band_floor_note(*, content: Mapping, scenario: Mapping, baseline_met: bool) -> dict | None:
    """When the pack's `baseline_floor` raised this scenario's band, what to tell the
    person: `{band, by_exposure, reason}`; None when the band is the exposure's own.

    `scenario` is one scenario of a stored result (`Score.result["scenarios"]`), `content`
    the pinned pack's content: the floor, its reason and the bands are the pack's.
    """
    floor = content.get("baseline_floor")
    if baseline_met or not floor:
        return None
    bands = next(
        (s.get("bands") or {} for s in content.get("scenarios", []) if s["id"] == scenario["id"]),
        {},
    )
    by_exposure = engine.band_for(bands, scenario["exposure"])
    if by_exposure == scenario["band"]:
        return None
    return {"band": scenario["band"], "by_exposure": by_exposure, "reason": floor["reason"]}
