"""One database's half of bench_rescore (run in a subprocess with DATABASE_URL set).

Migrates an empty database, loads the shipped packs, seeds ASSESSMENTS assessments with
every control answered, then times, in batches of BATCH: reading them (the baseline),
rescoring them all (reads, engine, bulk writes), and rescoring again (nothing new to
write). Prints one JSON object on its last line.
"""

from __future__ import annotations

import json
import os
import random
import resource
import sys
import time

ASSESSMENTS = int(os.environ.get("BENCH_RESCORE_ASSESSMENTS", "10000"))
BATCH = int(os.environ.get("BENCH_RESCORE_BATCH", "500"))
SEED = 1305  # the Commission's notice went out on 8 Aug 2023; any fixed seed will do


PROCESSES = int(os.environ.get("BENCH_RESCORE_PROCESSES", str(os.cpu_count() or 1)))


def _batches(queryset, last: int = 0, stop: int | None = None):
    """Keyset pagination by pk (constant cost per batch, however far in), from `last`
    (exclusive) up to `stop` (inclusive) when given."""
    if stop is not None:
        queryset = queryset.filter(pk__lte=stop)
    while True:
        batch = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _base_queryset():
    from apps.assessments.models import Assessment

    # What scoring needs of each row; the pack's content is read once, when compiled.
    return Assessment.objects.select_related("pack").only(
        "pk", "audience", "pack__id", "pack__content_sha256"
    )


def _rescore_range(bounds: tuple[int, int]) -> int:
    """One process's share: the assessments with pk in (first, last]."""
    from django.db import connections

    from apps.scoring.services import score_record_many

    first, last = bounds
    try:
        return sum(
            score_record_many(assessments=batch)
            for batch in _batches(_base_queryset(), first, last)
        )
    finally:
        connections.close_all()


def _rescore_in_processes(processes: int) -> int:
    """Split the assessments into `processes` pk ranges and rescore them side by side,
    as that many Celery workers would."""
    import multiprocessing

    from django.db import connections

    pks = list(_base_queryset().order_by("pk").values_list("pk", flat=True))
    size = -(-len(pks) // processes)
    ranges = [
        (pks[i - 1] if i else 0, pks[min(i + size, len(pks)) - 1]) for i in range(0, len(pks), size)
    ]
    connections.close_all()  # each process opens its own connection
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        return sum(pool.map(_rescore_range, ranges))


def main() -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction

    from apps.accounts.models import Organisation, User
    from apps.assessments.models import Answer, Assessment
    from apps.catalogue.services import pack_load_files
    from apps.scoring.models import Score
    from apps.scoring.services import score_record_many

    call_command("migrate", verbosity=0, interactive=False)
    packs = [r.pack for r in pack_load_files(sorted(settings.CATALOGUE_PACKS_DIR.glob("*.yaml")))]
    rng = random.Random(SEED)

    started = time.perf_counter()
    with transaction.atomic():
        orgs = Organisation.objects.bulk_create(
            Organisation(name=f"Bench organisation {i}") for i in range(50)
        )
        users = User.objects.bulk_create(
            (
                User(email=f"bench{i}@example.org", full_name=f"Bench {i}", password="!")
                for i in range(ASSESSMENTS)
            ),
            batch_size=2000,
        )
        allowed = {value for value, _ in Assessment._meta.get_field("audience").choices}
        audiences = {
            pack.pk: sorted(
                {a for s in pack.content["scenarios"] for a in s["audiences"]} & allowed
            )
            for pack in packs
        }
        assessments = Assessment.objects.bulk_create(
            (
                Assessment(
                    user=user,
                    organisation=orgs[i % len(orgs)],
                    pack=packs[i % len(packs)],
                    audience=rng.choice(audiences[packs[i % len(packs)].pk]),
                    status=Assessment.Status.SUBMITTED,
                )
                for i, user in enumerate(users)
            ),
            batch_size=2000,
        )
        keys = {
            pack.pk: [
                (c["id"], [a["key"] for a in c["answers"]])
                for s in pack.content["sections"]
                for c in s["controls"]
            ]
            for pack in packs
        }
        answer_count = 0
        for start in range(0, len(assessments), 1000):  # a chunk at a time: bounded memory
            answers = [
                Answer(assessment_id=a.pk, control_key=control, answer_key=rng.choice(options))
                for a in assessments[start : start + 1000]
                for control, options in keys[a.pack_id]
            ]
            Answer.objects.bulk_create(answers, batch_size=5000)
            answer_count += len(answers)
    del answers
    seeded = time.perf_counter() - started

    base = _base_queryset()

    started = time.perf_counter()
    read = 0
    for batch in _batches(base):
        read += len(
            list(
                Answer.objects.filter(assessment_id__in=[a.pk for a in batch]).values_list(
                    "assessment_id", "control_key", "answer_key"
                )
            )
        )
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    written = sum(score_record_many(assessments=batch) for batch in _batches(base))
    rescore = time.perf_counter() - started

    started = time.perf_counter()
    again = sum(score_record_many(assessments=batch) for batch in _batches(base))
    rerun = time.perf_counter() - started

    Score.objects.all().delete()
    started = time.perf_counter()
    parallel = _rescore_in_processes(PROCESSES)
    parallel_s = time.perf_counter() - started

    return {
        "database": connection.vendor,
        "processes": PROCESSES,
        "parallel_s": parallel_s,
        "scores_written_parallel": parallel,
        "assessments": len(assessments),
        "answers": answer_count,
        "answers_read": read,
        "batch": BATCH,
        "seed_s": seeded,
        "baseline_s": baseline,
        "rescore_s": rescore,
        "rerun_s": rerun,
        "scores_written": written,
        "scores_written_again": again,
        "scores_stored": Score.objects.count(),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
    sys.exit(0)
