"""manage.py load_catalogue [PATH ...]: validate pack files and load them, all or nothing."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.catalogue.services import CatalogueLoadError, pack_load_files


class Command(BaseCommand):
    help = (
        "Validate catalogue pack files and load them in one transaction: any mistake in any "
        "file loads nothing. Without paths, loads every *.yaml in CATALOGUE_PACKS_DIR. "
        "A directory loads every *.yaml in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", metavar="PATH", help="pack files or directories")

    def handle(self, *args, paths, **options):
        files = self._files(paths or [settings.CATALOGUE_PACKS_DIR])
        try:
            results = pack_load_files(files)
        except CatalogueLoadError as exc:
            for line in exc.lines():
                self.stderr.write(line)
            raise CommandError(
                f"{len(exc.failures)} of {len(files)} pack file(s) refused; nothing was loaded."
            ) from None
        for result in results:
            pack = result.pack
            state = "loaded" if result.created else "unchanged"
            self.stdout.write(f"{state}: {pack.slug}@{pack.version} ({pack.source_path})")

    def _files(self, paths) -> list[Path]:
        files: list[Path] = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                found = sorted(path.glob("*.yaml"))
                if not found:
                    raise CommandError(f"{path}: no *.yaml pack files in this directory.")
                files.extend(found)
            elif path.is_file():
                files.append(path)
            else:
                raise CommandError(f"{path}: no such file or directory.")
        return files
