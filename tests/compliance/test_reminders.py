"""Reminders on a frozen clock: due soon, overdue, deactivated, already sent."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from apps.accounts.models import Audience
from apps.compliance import services
from apps.compliance.models import ReminderSent

pytestmark = pytest.mark.django_db

LAUNCH = datetime.datetime(2027, 3, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def campaign(bob, carol, pack):
    with time_machine.travel(LAUNCH, tick=False):
        return services.campaign_launch(
            actor=bob,
            pack=pack,
            due_date=datetime.date(2027, 3, 31),
            audience=Audience.STAFF,
            remind_days_before="7,1",
            overdue_every_days=7,
        )


def _round(day):
    with time_machine.travel(
        datetime.datetime.combine(day, datetime.time(9), datetime.UTC), tick=False
    ):
        return services.reminders_send()


def test_nothing_before_the_first_step(campaign):
    assert _round(datetime.date(2027, 3, 20)) == 0
    assert mail.outbox == []


def test_due_soon_then_overdue_each_step_once(campaign, carol):
    assert _round(datetime.date(2027, 3, 24)) == 2  # 7 days before: bob and carol
    assert _round(datetime.date(2027, 3, 24)) == 0  # same step: never twice
    assert _round(datetime.date(2027, 3, 26)) == 0  # still the 7-day step
    assert _round(datetime.date(2027, 3, 30)) == 2  # 1 day before
    assert _round(datetime.date(2027, 4, 1)) == 2  # overdue, first week
    assert _round(datetime.date(2027, 4, 5)) == 0
    assert _round(datetime.date(2027, 4, 8)) == 2  # overdue, second week
    steps = set(ReminderSent.objects.values_list("step", flat=True))
    assert steps == {"due-in-7", "due-in-1", "overdue-1", "overdue-2"}
    assert len(mail.outbox) == 8
    overdue = [m for m in mail.outbox if "carol@example.org" in m.to][-1]
    assert overdue.subject.startswith("Overdue")


def test_no_result_in_the_email(campaign, carol, submit):
    _round(datetime.date(2027, 3, 24))
    for message in mail.outbox:
        body = message.subject + message.body
        for word in ("exposure", "band", "critical", "high", "baseline", "score"):
            assert word not in body.lower()
        assert "31 March 2027" in body


def test_never_to_deactivated_or_submitted_members(campaign, bob, carol, pack):
    carol.is_active = False
    carol.save(update_fields=["is_active"])
    assert _round(datetime.date(2027, 3, 24)) == 1
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]


def test_submitted_people_get_no_reminder(campaign, bob, carol, submit):
    from apps.compliance.models import Assignment

    assessment = submit(carol)
    Assignment.objects.filter(campaign=campaign, user=carol).update(assessment=assessment)
    assert _round(datetime.date(2027, 3, 24)) == 1
    assert mail.outbox[0].to == ["bob@example.org"]


def test_the_round_command_runs_reminders_and_snapshots(campaign, capsys):
    with time_machine.travel(datetime.datetime(2027, 3, 24, 9, tzinfo=datetime.UTC), tick=False):
        call_command("compliance_round")
    out = capsys.readouterr().out
    assert "2 reminder(s) sent" in out
