"""Seed the API benchmark's database: `python -m bench.api_seed CLIENTS BACKGROUND`.

One organisation; CLIENTS members with an open assessment of the shipped
high-risk-individuals pack (one per concurrent client: each client writes to its own), and
BACKGROUND members with a submitted, fully answered and scored assessment (what the
compliance summary aggregates), and two rounds of a campaign assigned to all of them (what
its completion counts). One API key with every scope. Prints one JSON line: the
key, the open assessments' ids, 40 question ids and their answers for the bulk write.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta

import django

PACK_FILE = "high-risk-individuals-2026.2.yaml"
BULK_SIZE = 40


def main(clients: int, background: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.api_settings")
    django.setup()
    from django.conf import settings
    from django.utils import timezone

    from apps.accounts.models import Audience, Membership, Organisation, User
    from apps.api.models import Scope
    from apps.api.services import api_key_issue
    from apps.assessments.models import Answer, Assessment
    from apps.assessments.questionnaire import questionnaire_for
    from apps.catalogue.services import pack_load_file
    from apps.scoring.services import score_record_many

    pack = pack_load_file(settings.CATALOGUE_PACKS_DIR / PACK_FILE).pack
    organisation = Organisation.objects.create(name="Bench office", mfa_required_for_members=False)
    people = User.objects.bulk_create(
        [
            User(email=f"bench{n}@example.org", full_name=f"Bench {n}")
            for n in range(clients + background + 1)
        ]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=u,
                organisation=organisation,
                role=Membership.Role.ORG_ADMIN if n == 0 else Membership.Role.MEMBER,
                audience=Audience.PARLIAMENTARIAN,
            )
            for n, u in enumerate(people)
        ]
    )
    admin, members = people[0], people[1:]
    questionnaire = questionnaire_for(pack)
    every_control = list(questionnaire.questions)
    done = Assessment.objects.bulk_create(
        [
            Assessment(
                user=u,
                organisation=organisation,
                pack=pack,
                audience=Audience.PARLIAMENTARIAN,
                status=Assessment.Status.SUBMITTED,
                submitted_at=timezone.now(),
            )
            for u in members[clients:]
        ]
    )
    Answer.objects.bulk_create(
        [
            Answer(
                assessment=a,
                control_key=c,
                answer_key=questionnaire.questions[c]
                .options[(i + n) % len(questionnaire.questions[c].options)]
                .key,
            )
            for n, a in enumerate(done)
            for i, c in enumerate(every_control)
        ],
        batch_size=2000,
    )
    score_record_many(
        assessments=Assessment.objects.filter(pk__in=[a.pk for a in done]).select_related("pack")
    )
    open_ones = Assessment.objects.bulk_create(
        [
            Assessment(
                user=u, organisation=organisation, pack=pack, audience=Audience.PARLIAMENTARIAN
            )
            for u in members[:clients]
        ]
    )
    # Two rounds of a campaign over everyone, as an organisation checking each term has:
    # the summary's completion counts them (without campaigns it has nothing to count).
    from apps.compliance.models import Assignment, Campaign

    today = timezone.localdate()
    previous = Campaign.objects.create(
        organisation=organisation,
        name="Spring check",
        pack_slug=pack.slug,
        pack_title=pack.title,
        audience=Audience.PARLIAMENTARIAN,
        due_date=today - timedelta(days=60),
        created_by=admin,
        created_at=timezone.now() - timedelta(days=90),
    )
    current = Campaign.objects.create(
        organisation=organisation,
        name="Autumn check",
        pack_slug=pack.slug,
        pack_title=pack.title,
        audience=Audience.PARLIAMENTARIAN,
        due_date=today + timedelta(days=30),
        previous=previous,
        created_by=admin,
    )
    assessment_of = {a.user_id: a.pk for a in [*done, *open_ones]}
    Assignment.objects.bulk_create(
        [
            Assignment(campaign=c, user=u, assessment_id=assessment_of.get(u.pk))
            for c in (previous, current)
            for u in members
        ]
    )
    # 40 questions that stay shown when only they are answered (with their first answer),
    # for this audience. Each push sends the same answers with fresh evidence, as a nightly
    # sync from device management would.
    from apps.scoring import engine
    from apps.scoring.selectors import compiled_pack_for

    compiled = compiled_pack_for(pack)

    def shown(keys, pick):
        answers = {c: questionnaire.questions[c].options[pick].key for c in keys}
        return set(engine.visible_controls(compiled, answers, Audience.PARLIAMENTARIAN))

    bulk: list[str] = []
    for control in every_control:
        trial = [*bulk, control]
        if set(trial) <= shown(trial, 0):
            bulk = trial
        if len(bulk) == BULK_SIZE:
            break
    if len(bulk) < BULK_SIZE:
        raise SystemExit(f"only {len(bulk)} questions can be answered together")
    choices = [questionnaire.questions[c].options[0].key for c in bulk]
    _, raw_key = api_key_issue(
        actor=admin,
        organisation=organisation,
        name="Bench sync",
        scopes=list(Scope.values),
        expires_at=timezone.now() + timedelta(days=30),
    )
    # Planner statistics, as a live database has them (autovacuum gathers them a while
    # after a bulk load; measured before that, plans are made for empty tables).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        json.dumps(
            {
                "key": raw_key,
                "assessments": [str(a.public_id) for a in open_ones],
                "controls": bulk,
                "choices": choices,
                "members": len(members),
                "answers": Answer.objects.count(),
                "assessments_total": Assessment.objects.count(),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
