"""manage.py rescore [--pack ID]

Scores every submitted assessment again under the current engine (ENGINE_VERSION) where
its answers have no score by this engine yet: run it after an engine upgrade so that
results pages and new reports use the new engine. Scores by older engines stay as they
were recorded (their results pages still render). Idempotent: a second run writes
nothing. Bad input exits with status 2.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.catalogue.models import Pack
from apps.scoring import engine
from apps.scoring.services import score_rescore_submitted


class Command(BaseCommand):
    help = "Score submitted assessments again under the current scoring engine."

    def add_arguments(self, parser):
        parser.add_argument("--pack", metavar="ID", help="only assessments of this pack")

    def handle(self, *args, pack, **options):
        if pack is not None and not Pack.objects.filter(slug=pack).exists():
            raise CommandError(f"No pack {pack!r} is loaded.", returncode=2)
        seen, written = score_rescore_submitted(pack_slug=pack)
        self.stdout.write(
            f"Engine {engine.ENGINE_VERSION}: {seen} submitted assessment(s), "
            f"{written} new score(s) written."
        )
