"""A deleted report takes its files with it (a person, assessment or organisation deleted:
their reports go by cascade, and sensitive PDFs must not outlive the rows)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from apps.reports.models import RemediationReport


@receiver(post_delete, sender=RemediationReport, dispatch_uid="reports-delete-files")
def delete_report_files(sender, instance: RemediationReport, using, **kwargs):
    from apps.reports.services import report_files_delete

    names = [name for name in (instance.html_name, instance.pdf_name) if name]
    if names:
        # After commit: a rolled-back delete keeps its files.
        transaction.on_commit(lambda: report_files_delete(names), using=using, robust=True)
