"""Seed the web benchmark's database: `python -m bench.web_seed USERS BACKGROUND`.

USERS members who will sign in (password BENCH_PASSWORD, no MFA required by their
organisation), each with one open assessment of the shipped high-risk-individuals pack;
plus BACKGROUND other members with a submitted-looking assessment fully answered, so the
answer table is not empty. Prints one JSON line: the users' emails, assessment ids, the
first section and the questions it asks.
"""

from __future__ import annotations

import json
import os
import sys

import django

BENCH_PASSWORD = "bench: correct horse battery staple"
PACK_FILE = "high-risk-individuals.yaml"


def main(users: int, background: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.web_settings")
    django.setup()
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from apps.accounts.models import Audience, Membership, Organisation, User
    from apps.assessments.models import Answer, Assessment
    from apps.assessments.questionnaire import questionnaire_for
    from apps.assessments.selectors import questionnaire_state
    from apps.assessments.services import assessment_start
    from apps.catalogue.services import pack_load_file

    pack = pack_load_file(settings.CATALOGUE_PACKS_DIR / PACK_FILE).pack
    organisation = Organisation.objects.create(name="Bench office", mfa_required_for_members=False)
    password = make_password(BENCH_PASSWORD)  # hashed once, shared: seeding stays quick
    people = User.objects.bulk_create(
        [
            User(email=f"bench{n}@example.org", full_name=f"Bench {n}", password=password)
            for n in range(users + background)
        ]
    )
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, primary=True, verified=True) for u in people]
    )
    Membership.objects.bulk_create(
        [
            Membership(
                user=u,
                organisation=organisation,
                role=Membership.Role.MEMBER,
                audience=Audience.PARLIAMENTARIAN,
            )
            for u in people
        ]
    )
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
            for u in people[users:]
        ]
    )
    Answer.objects.bulk_create(
        [
            Answer(assessment=a, control_key=c, answer_key=("yes", "no", "partly")[i % 3])
            for a in done
            for i, c in enumerate(every_control)
        ],
        batch_size=2000,
    )
    mine = [assessment_start(actor=u, pack=pack) for u in people[:users]]
    state = questionnaire_state(assessment=mine[0], answer_map={})
    first = state.sections[0]
    # Questions whose visibility does not depend on another answer: safe to re-answer.
    asked = [
        c
        for c in first.visible_ids
        if questionnaire.questions[c].options[0].key == "yes"
        and "partly" in {o.key for o in questionnaire.questions[c].options}
    ]
    print(
        json.dumps(
            {
                "users": [u.email for u in people[:users]],
                "assessments": [str(a.public_id) for a in mine],
                "section": first.id,
                "controls": asked,
                "answers": Answer.objects.count(),
                "assessments_total": Assessment.objects.count(),
                "controls_in_pack": len(every_control),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
