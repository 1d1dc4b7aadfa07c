"""Build organisations of submitted people in bulk (no report renders, few queries), for
the compliance tests: `people(org, n, answers)` adds n members with one submitted
assessment each, scored through the real scoring service."""

from __future__ import annotations

import itertools

from django.utils import timezone

from apps.accounts.models import Audience, Membership, User
from apps.assessments.models import Answer, Assessment
from apps.scoring.services import score_record_many

_counter = itertools.count()

ALL_NO = {"T-ACC-01": "no", "T-ACC-02": "no", "T-ACC-03": "no", "T-DEV-01": "no", "T-GOV-01": "no"}
TWO_STEP_ONLY = {**ALL_NO, "T-ACC-01": "yes"}


def people(org, n, pack, answers=ALL_NO, audience=Audience.STAFF, submitted=True):
    """n active members of `org` (audience `audience`), each with one assessment of `pack`
    answered with `answers` and, unless `submitted=False`, submitted and scored."""
    batch = next(_counter)
    users = User.objects.bulk_create(
        [
            User(email=f"p{batch}-{i}@{org.pk}.example.org", full_name=f"Person {batch}-{i}")
            for i in range(n)
        ]
    )
    users = list(User.objects.filter(email__in=[u.email for u in users]).order_by("pk"))
    Membership.objects.bulk_create(
        [Membership(user=u, organisation=org, audience=audience) for u in users]
    )
    now = timezone.now()
    status = Assessment.Status.SUBMITTED if submitted else Assessment.Status.IN_PROGRESS
    Assessment.objects.bulk_create(
        [
            Assessment(
                user=u,
                organisation=org,
                pack=pack,
                audience=audience,
                status=status,
                submitted_at=now if submitted else None,
            )
            for u in users
        ]
    )
    assessments = list(
        Assessment.objects.filter(user__in=users).select_related("pack").order_by("pk")
    )
    Answer.objects.bulk_create(
        [
            Answer(assessment=a, control_key=k, answer_key=v)
            for a in assessments
            for k, v in answers.items()
        ]
    )
    if submitted:
        score_record_many(assessments=assessments)
    return users
