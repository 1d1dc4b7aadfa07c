"""manage.py score --pack ID[@VERSION] --answers FILE.json [--audience AUDIENCE]

Scores a file of answers against a loaded pack and prints one JSON object: exposures and
open routes (ways in no blocking control has closed) per scenario,
routes, cut sets, section coverage, the baseline flag and the remediation plan.
Bad input (missing or malformed file, unknown pack, audience, control or answer key)
exits with status 2 and says what is wrong; nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.catalogue.models import Pack
from apps.scoring import engine
from apps.scoring.selectors import command_output, compiled_pack_for

BAD_INPUT = 2


def _refuse(message: str) -> CommandError:
    return CommandError(message, returncode=BAD_INPUT)


class Command(BaseCommand):
    help = "Score a JSON file of answers ({control id: answer key}) against a loaded pack."

    def add_arguments(self, parser):
        parser.add_argument("--pack", required=True, metavar="ID[@VERSION]")
        parser.add_argument("--answers", required=True, metavar="FILE.json")
        parser.add_argument("--audience", help="default: the pack's first audience")

    def handle(self, *args, pack, answers, audience, **options):
        found = self._pack(pack)
        compiled = compiled_pack_for(found)
        answer_map = self._answers(Path(answers))
        audience = audience or compiled.audiences[0]
        if audience not in compiled.audiences:
            raise _refuse(
                f"Audience {audience!r} is not one of {found.label}'s: {', '.join(compiled.audiences)}."
            )
        problems = engine.check_answers(compiled, answer_map)
        if problems:
            raise _refuse(f"{answers}: " + "; ".join(problems) + ".")
        result = engine.evaluate(compiled, answer_map, audience)
        self.stdout.write(json.dumps(command_output(result, pack=found), indent=2))

    def _pack(self, label: str) -> Pack:
        slug, _, version = label.partition("@")
        packs = Pack.objects.filter(slug=slug)
        if version:
            packs = packs.filter(version=version)
        found = packs.order_by("-loaded_at", "-pk").first()
        if found is None:
            loaded = sorted(Pack.objects.values_list("slug", "version").distinct())
            listing = (
                ", ".join(f"{s}@{v}" for s, v in loaded) or "none (run manage.py load_catalogue)"
            )
            raise _refuse(f"No pack {label!r} is loaded. Loaded packs: {listing}.")
        return found

    def _answers(self, path: Path) -> dict[str, str]:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise _refuse(f"{path}: no such file.") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise _refuse(f"{path}: cannot be read ({exc}).") from None
        except json.JSONDecodeError as exc:
            raise _refuse(f"{path}: not valid JSON ({exc}).") from None
        if not isinstance(raw, dict):
            raise _refuse(f"{path}: must be a JSON object mapping control ids to answer keys.")
        wrong = sorted(k for k, v in raw.items() if not isinstance(v, str))
        if wrong:
            raise _refuse(
                f"{path}: answers must be answer keys (strings); not for {', '.join(wrong)}."
            )
        return raw
