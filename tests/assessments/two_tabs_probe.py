"""Child process of test_concurrency on SQLite: two tabs against a real SQLite file.

Run as `python -m tests.assessments.two_tabs_probe` with DATABASE_URL pointing at a fresh
file; prints one JSON line: {"errors": [...], "stored": {...}, "count": n}.
"""

from __future__ import annotations

import json
import os

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)

    from apps.accounts.models import Audience, Membership, Organisation
    from apps.assessments.services import assessment_start
    from apps.catalogue.services import pack_load_data
    from tests.assessments.test_concurrency import two_tabs
    from tests.catalogue.packs import minimal_pack_data
    from tests.factories import MembershipFactory, UserFactory

    organisation = Organisation.objects.create(name="Two tabs office")
    user = UserFactory(email="tabs@example.org")
    MembershipFactory(
        user=user,
        organisation=organisation,
        role=Membership.Role.MEMBER,
        audience=Audience.PARLIAMENTARIAN,
    )
    pack = pack_load_data(minimal_pack_data()).pack
    assessment = assessment_start(actor=user, pack=pack)
    errors, stored, count = two_tabs(actor=user, assessment=assessment)
    print(json.dumps({"errors": errors, "stored": stored, "count": count}))


if __name__ == "__main__":
    main()
