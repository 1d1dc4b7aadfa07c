"""`manage.py apply_retention [--dry-run]`: delete what the retention settings say has been
kept long enough (the nightly celery beat task does the same)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.privacy.services import retention_apply

LABELS = {
    "assessments": "assessment(s) with their answers, notes, scores and reports",
    "report_files": "report file(s)",
    "deactivated_accounts": "deactivated account(s) closed",
    "invitations": "finished invitation(s)",
    "audit_events": "audit event(s)",
}


class Command(BaseCommand):
    help = "Apply DATA_RETENTION_DAYS and the other retention settings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would go; change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        result = retention_apply(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        if not result.cutoffs:
            self.stdout.write("Every retention setting is 0: nothing is ever deleted.")
        for key, count in result.counts.items():
            self.stdout.write(f"{verb} {count} {LABELS.get(key, key)}.")
