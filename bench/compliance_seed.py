"""Seed the compliance benchmark: `python -m bench.compliance_seed MEMBERS`.

One organisation of MEMBERS parliamentarians on the shipped high-risk-individuals pack.
Each member has a submitted assessment (about 30 answers, scored, with per-control cuts)
and a reassessment in progress (about 30 more answers): 600,000 answers for 10,000
members. Answers are drawn from 200 realistic profiles, each scored once through the
real engine and `scoring.marginal` and copied to its people (the benchmark measures the
dashboard's queries, not seeding). Rows go in with PostgreSQL COPY.

Also an org admin with a TOTP authenticator and a signed-in session (the same session
row a real sign-in would leave, MFA step included: the app's middleware accepts it).
Prints one JSON line: the session cookie, member, assessment and answer counts.
"""

from __future__ import annotations

import json
import os
import random
import sys
import uuid

import django

PACK_FILE = "high-risk-individuals.yaml"
PROFILES = 200
ANSWERS_PER_ASSESSMENT = 30


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # noqa: S608
        for row in rows:
            copy.write_row(row)


def main(members: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.web_settings")
    django.setup()
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.utils import timezone

    from apps.accounts.middleware import MFA_OK_KEY, session_mark_signed_in
    from apps.accounts.models import Audience, Membership, Organisation, User
    from apps.assessments.models import Assessment
    from apps.catalogue.services import pack_load_file
    from apps.compliance.services import snapshot_take
    from apps.scoring import engine
    from apps.scoring.marginal import marginal_cuts
    from apps.scoring.selectors import answers_sha256, compiled_pack_for

    rng = random.Random(10)  # noqa: S311 - reproducible bench data
    pack = pack_load_file(settings.CATALOGUE_PACKS_DIR / PACK_FILE).pack
    compiled = compiled_pack_for(pack)
    audience = Audience.PARLIAMENTARIAN
    organisation = Organisation.objects.create(name="Bench parliament")
    admin = User.objects.create_user(email="admin@bench.example.org", full_name="Bench Admin")
    Membership.objects.create(
        user=admin, organisation=organisation, role=Membership.Role.ORG_ADMIN, audience="staff"
    )
    TOTP.activate(admin, generate_totp_secret())

    # Profiles: each control answered yes / partly / no / unsure with skewed odds.
    profiles = []
    for _ in range(PROFILES):
        habit = rng.random()
        answers: dict[str, str] = {}
        for control in compiled.controls:
            if audience not in control.audiences:
                continue
            keys = [k for k in control.levels if k != "na"]
            weights = [
                {"yes": 0.3 + habit, "partly": 0.3, "no": 1.0 - habit, "unsure": 0.1}.get(k, 0.2)
                for k in keys
            ]
            answers[control.id] = rng.choices(keys, weights)[0]
        visible = set(engine.visible_controls(compiled, answers, audience))
        answers = {k: v for k, v in answers.items() if k in visible}
        # 30 answers per assessment (two per member: 600,000 answers for 10,000 members);
        # the rest left unanswered, as people skip questions.
        keep = set(rng.sample(sorted(answers), min(ANSWERS_PER_ASSESSMENT, len(answers))))
        answers = {k: v for k, v in answers.items() if k in keep}
        result = engine.evaluate(compiled, answers, audience, with_plan=True)
        data = engine.result_to_dict(result)
        exposures = [s["exposure"] for s in data["scenarios"]]
        profiles.append(
            {
                "answers": answers,
                "digest": answers_sha256(pack=pack, audience=audience, answers=answers),
                "result": data,
                "exposure_mean": sum(exposures) / len(exposures) if exposures else 0.0,
                "cuts": marginal_cuts(compiled, answers, audience, current=result),
            }
        )

    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(email=f"m{n}@bench.example.org", full_name=f"Member {n}", password="!")
            for n in range(members)
        ],
        batch_size=5000,
    )
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=organisation, audience=audience) for u in users],
        batch_size=5000,
    )
    chosen = [rng.randrange(PROFILES) for _ in users]
    submitted = Assessment.objects.bulk_create(
        [
            Assessment(
                user=u,
                organisation=organisation,
                pack=pack,
                audience=audience,
                status=Assessment.Status.SUBMITTED,
                submitted_at=now,
            )
            for u in users
        ],
        batch_size=5000,
    )
    reassessing = Assessment.objects.bulk_create(
        [
            Assessment(
                user=u,
                organisation=organisation,
                pack=pack,
                audience=audience,
                status=Assessment.Status.IN_PROGRESS,
            )
            for u in users
        ],
        batch_size=5000,
    )
    with connection.cursor() as cursor:
        answer_rows = 0

        def answers():
            nonlocal answer_rows
            for i, assessment in enumerate(submitted):
                for key, value in profiles[chosen[i]]["answers"].items():
                    answer_rows += 1
                    yield (assessment.pk, key, value, "", now, False)
            for i, assessment in enumerate(reassessing):
                source = profiles[(chosen[i] + 1) % PROFILES]["answers"]
                for key, value in source.items():
                    answer_rows += 1
                    yield (assessment.pk, key, value, "", now, False)

        _copy(
            cursor,
            "assessments_answer",
            ["assessment_id", "control_key", "answer_key", "note", "updated_at", "from_last_time"],
            answers(),
        )
        _copy(
            cursor,
            "scoring_score",
            [
                "public_id",
                "assessment_id",
                "pack_id",
                "engine_version",
                "answers_sha256",
                "result",
                "baseline_met",
                "exposures",
                "bands",
                "plan_length",
                "control_cuts_recorded",
                "exposure_mean",
                "counted",
                "created_at",
            ],
            (
                (
                    uuid.uuid4(),
                    a.pk,
                    pack.pk,
                    engine.ENGINE_VERSION,
                    profiles[chosen[i]]["digest"],
                    json.dumps(profiles[chosen[i]]["result"]),
                    profiles[chosen[i]]["result"]["baseline_met"],
                    json.dumps(
                        {s["id"]: s["exposure"] for s in profiles[chosen[i]]["result"]["scenarios"]}
                    ),
                    json.dumps(
                        {s["id"]: s["band"] for s in profiles[chosen[i]]["result"]["scenarios"]}
                    ),
                    len(profiles[chosen[i]]["result"]["plan"]),
                    True,
                    profiles[chosen[i]]["exposure_mean"],
                    True,  # each member's one submitted assessment: the score that counts
                    now,
                )
                for i, a in enumerate(submitted)
            ),
        )
        cursor.execute(
            "SELECT id, assessment_id FROM scoring_score WHERE assessment_id = ANY(%s)",
            [[a.pk for a in submitted]],
        )
        score_of = {assessment_id: score_id for score_id, assessment_id in cursor.fetchall()}
        _copy(
            cursor,
            "scoring_scorecontrolcut",
            ["score_id", "control_key", "effort", "weight", "cut"],
            (
                (score_of[a.pk], c.control, c.effort, c.weight, c.cut)
                for i, a in enumerate(submitted)
                for c in profiles[chosen[i]]["cuts"]
            ),
        )
        cursor.execute("ANALYZE")
    for _ in range(3):
        snapshot_take(organisation=organisation)

    session = SessionStore()
    session[SESSION_KEY] = str(admin.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = admin.get_session_auth_hash()
    session[MFA_OK_KEY] = True

    class _Request:  # what session_mark_signed_in reads
        pass

    request = _Request()
    request.session = session
    session_mark_signed_in(request)
    session.create()
    print(
        json.dumps(
            {
                "cookie": session.session_key,
                "members": members,
                "assessments": len(submitted) + len(reassessing),
                "answers": answer_rows,
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
