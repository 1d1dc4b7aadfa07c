"""`manage.py compliance_round`: one round of scheduled compliance work, by hand.

The same service celery beat runs hourly in production (`compliance.round`); `make run`
runs it at start-up so the embedded default shows reminders and snapshots working.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.compliance.services import scheduled_round


class Command(BaseCommand):
    help = (
        "Run one round of scheduled compliance work: open recurring campaigns' next rounds, "
        "assign late joiners, send the reminders due, take the nightly snapshots."
    )

    def handle(self, *args, **options):
        result = scheduled_round()
        self.stdout.write(
            f"Compliance round: {result.reminders} reminder(s) sent, "
            f"{result.snapshots} snapshot(s) taken, {result.rounds_opened} next round(s) "
            f"opened, {result.assigned} late joiner(s) assigned, "
            f"{result.cuts_backfilled} older score(s) given per-control cuts."
        )
