"""manage.py export_catalogue [--pack ID[@VERSION]]: print loaded packs as JSON.

The output uses the pack format's own field names and loads back unchanged (the same
content fingerprint) with `manage.py load_catalogue FILE`.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.http import Http404

from apps.catalogue import selectors
from apps.catalogue.schema import SLUG_RE, VERSION_RE, pack_source_from_content


class Command(BaseCommand):
    help = (
        "Print the latest version of every loaded pack as a JSON list, or one pack with "
        "--pack ID (latest version) or --pack ID@VERSION."
    )

    def add_arguments(self, parser):
        parser.add_argument("--pack", metavar="ID[@VERSION]", help="export this pack only")

    def handle(self, *args, pack=None, **options):
        if pack is None:
            packs = [pack_source_from_content(row.content) for row in selectors.pack_list_latest()]
            self._print(packs)
            return
        slug, _, version = pack.partition("@")
        if not SLUG_RE.match(slug) or ("@" in pack and not VERSION_RE.match(version)):
            raise CommandError(
                f"--pack {pack!r}: expected a pack id, optionally with @version "
                "(e.g. high-risk-individuals or high-risk-individuals@2026.1).",
                returncode=2,
            )
        try:
            row = selectors.pack_get(slug=slug, version=version or None)
        except Http404:
            known = ", ".join(p.label for p in selectors.pack_list_latest()) or "none loaded"
            wanted = f"{slug} version {version}" if version else slug
            raise CommandError(
                f"No pack {wanted} is loaded (latest versions: {known}).", returncode=2
            ) from None
        self._print(pack_source_from_content(row.content))

    def _print(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2, ensure_ascii=False))
