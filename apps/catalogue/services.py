"""Loading catalogue packs: the only way catalogue rows are created.

A pack is validated in full before anything is written, and a set of files loads in one
transaction, so a mistake anywhere leaves the catalogue exactly as it was. Loading is
idempotent: the same content under the same id and version changes nothing; different
content under a loaded id and version is refused (it needs a new version, because
assessments pin a version and must keep seeing what they were answered against).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from apps.catalogue.models import Control, Pack, Scenario, Section
from apps.catalogue.schema import (
    PackValidationError,
    read_pack_file,
    validate_pack,
    version_sort_key,
)


@dataclass(frozen=True)
class LoadResult:
    """One pack version after loading: `created` is False when it was already loaded."""

    pack: Pack
    created: bool


class CatalogueLoadError(Exception):
    """One or more pack files were refused; nothing was loaded. `failures` holds one
    PackValidationError per refused file (its `source` is the file)."""

    def __init__(self, failures: list[PackValidationError]):
        self.failures = failures
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [line for failure in self.failures for line in failure.lines()]


def content_sha256(content: dict) -> str:
    """The fingerprint of a normalised pack: sha256 of its canonical JSON."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def pack_load_data(data: dict, *, source_path: str = "") -> LoadResult:
    """Validate `data` (a parsed pack) and load it. See the module docstring for the rules.

    Raises PackValidationError if the pack is invalid or its version is already loaded with
    different content.
    """
    content = validate_pack(data)
    with transaction.atomic():
        return _store(content, source_path=source_path)


def pack_load_file(path) -> LoadResult:
    """Load one YAML pack file (see `schema.read_pack_file` for the errors it raises)."""
    content = read_pack_file(path)
    try:
        with transaction.atomic():
            return _store(content, source_path=str(path))
    except PackValidationError as exc:
        exc.source = str(path)
        raise


def pack_load_files(paths) -> list[LoadResult]:
    """Load several pack files all-or-nothing.

    Every file is parsed and validated first, and every problem in every file is
    reported together (CatalogueLoadError); then all packs are written in one
    transaction, so a refused file or version conflict anywhere loads nothing.
    """
    parsed: list[tuple[str, dict]] = []
    failures: list[PackValidationError] = []
    first_file_for: dict[tuple[str, str], str] = {}
    for path in paths:
        try:
            content = read_pack_file(path)
        except PackValidationError as exc:
            failures.append(exc)
            continue
        key = (content["id"], content["version"])
        if key in first_file_for:
            failures.append(
                PackValidationError(
                    [
                        (
                            "version",
                            f"pack {key[0]} version {key[1]} is also in {first_file_for[key]}",
                        )
                    ],
                    source=str(path),
                )
            )
            continue
        first_file_for[key] = str(path)
        parsed.append((str(path), content))
    if failures:
        raise CatalogueLoadError(failures)
    # "Latest" is the version loaded last (selectors.NEWEST_FIRST). Several versions of
    # one pack in one run load oldest first, so a fresh database's default is the newest
    # version, whatever the files are called (high-risk-individuals-2026.2.yaml sorts
    # before high-risk-individuals.yaml).
    order = {path: i for i, (path, _) in enumerate(parsed)}
    parsed.sort(key=lambda item: (version_sort_key(item[1]["version"]), order[item[0]]))

    results: list[LoadResult] = []
    with transaction.atomic():
        for path, content in parsed:
            try:
                results.append(_store(content, source_path=path))
            except PackValidationError as exc:
                exc.source = path
                failures.append(exc)
        if failures:
            # Leaving the block by exception rolls back whatever was already stored.
            raise CatalogueLoadError(failures)
    return results


def _store(content: dict, *, source_path: str) -> LoadResult:
    """Write one validated pack (inside the caller's transaction)."""
    sha = content_sha256(content)
    existing = Pack.objects.filter(slug=content["id"], version=content["version"]).first()
    if existing is None:
        try:
            # A savepoint, so that losing a race to a concurrent loader of the same
            # version surfaces as the usual comparison below rather than a broken
            # transaction.
            with transaction.atomic():
                return LoadResult(pack=_create(content, sha, source_path), created=True)
        except IntegrityError:
            existing = Pack.objects.get(slug=content["id"], version=content["version"])
    if existing.content_sha256 != sha:
        raise PackValidationError(
            [
                (
                    "version",
                    f"pack {content['id']} version {content['version']} is already loaded with "
                    "different content; give the changed pack a new version",
                )
            ]
        )
    return LoadResult(pack=existing, created=False)


def _create(content: dict, sha: str, source_path: str) -> Pack:
    pack = Pack.objects.create(
        slug=content["id"],
        version=content["version"],
        title=content["title"],
        audiences=content["audiences"],
        sources=content["sources"],
        content=content,
        content_sha256=sha,
        source_path=source_path[:500],
        baseline_floor_band=content.get("baseline_floor", {}).get("band", ""),
        baseline_floor_reason=content.get("baseline_floor", {}).get("reason", ""),
    )
    sections = Section.objects.bulk_create(
        Section(pack=pack, key=section["id"], title=section["title"], order=order)
        for order, section in enumerate(content["sections"])
    )
    controls = []
    for section_row, section in zip(sections, content["sections"], strict=True):
        for control in section["controls"]:
            controls.append(
                Control(
                    pack=pack,
                    section=section_row,
                    key=control["id"],
                    order=len(controls),
                    title=control["title"],
                    question=control["question"],
                    help=control["help"],
                    answers=control["answers"],
                    applies_if=control.get("applies_if"),
                    audiences=control["audiences"],
                    effort=control["effort"],
                    critical=control["critical"],
                    remediation=control["remediation"],
                    references=control["references"],
                    mitigates=control["mitigates"],
                    baseline_reason=control.get("baseline_reason", ""),
                )
            )
    Control.objects.bulk_create(controls)
    Scenario.objects.bulk_create(
        Scenario(
            pack=pack,
            key=scenario["id"],
            order=order,
            title=scenario["title"],
            summary=scenario["summary"],
            audiences=scenario["audiences"],
            bands=scenario["bands"],
            bands_reason=scenario["bands_reason"],
            tree=scenario["tree"],
        )
        for order, scenario in enumerate(content["scenarios"])
    )
    return pack
