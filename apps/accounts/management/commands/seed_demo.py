"""Demo organisations and people for trying Portcullis locally. Idempotent.

Every demo person gets a verified email, the one demo password and a TOTP authenticator
(MFA is required for everyone by default), whose secret is printed so it can be added to
any authenticator app. Running it again changes nothing and prints the same logins.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from apps.accounts.models import Audience, Membership, Organisation, User

DEMO_PASSWORD = "portcullis-demo-password"
DEMO_SUBMITTER = "caseworker@commons.demo.example"  # has submitted an assessment already


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    organisation: str | None = None
    role: str = Membership.Role.MEMBER
    audience: str = Audience.STAFF
    staff: bool = False


COMMONS = "House of Commons (demo)"
COUNCIL = "Example Borough Council Electoral Services (demo)"

ORGANISATIONS = {
    COMMONS: Organisation.Kind.PARLIAMENTARY_OFFICE,
    COUNCIL: Organisation.Kind.LOCAL_AUTHORITY_ELECTORAL,
}

PEOPLE = [
    DemoPerson(
        "mp@commons.demo.example", "Alex Member MP", COMMONS, audience=Audience.PARLIAMENTARIAN
    ),
    DemoPerson("caseworker@commons.demo.example", "Sam Caseworker", COMMONS),
    DemoPerson("researcher@commons.demo.example", "Jo Researcher", COMMONS),
    DemoPerson(
        "admin@commons.demo.example",
        "Pat Office Manager",
        COMMONS,
        role=Membership.Role.ORG_ADMIN,
    ),
    DemoPerson(
        "official@council.demo.example",
        "Chris Electoral Officer",
        COUNCIL,
        audience=Audience.ELECTION_OFFICIAL,
    ),
    DemoPerson(
        "admin@council.demo.example",
        "Morgan Elections Manager",
        COUNCIL,
        role=Membership.Role.ORG_ADMIN,
        audience=Audience.ELECTION_OFFICIAL,
    ),
    DemoPerson("staff@portcullis.demo.example", "Platform Staff", staff=True),
]


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


class Command(BaseCommand):
    help = "Create demo organisations and people with a known password and TOTP secrets."

    def handle(self, *args, **options):
        if getattr(settings, "PRODUCTION", False):
            # SECURITY: known passwords and printed secrets have no place in production.
            raise CommandError("seed_demo refuses to run in production mode (PORTCULLIS_ENV).")
        with transaction.atomic():
            organisations = {
                name: Organisation.objects.get_or_create(name=name, defaults={"kind": kind})[0]
                for name, kind in ORGANISATIONS.items()
            }
            logins = [self._person(person, organisations) for person in PEOPLE]

        submitted = self._demo_submission(
            next(user for person, user, _ in logins if person.email == DEMO_SUBMITTER)
        )

        self.stdout.write(self.style.MIGRATE_HEADING("Portcullis demo logins"))
        self.stdout.write(f"Password for every demo account: {DEMO_PASSWORD}")
        self.stdout.write(
            "Each account has two-factor authentication: add the secret to an authenticator "
            "app (or open the otpauth:// link on a phone), then sign in with its 6-digit code."
        )
        if submitted:
            self.stdout.write(
                f"{DEMO_SUBMITTER} has submitted an assessment: its results and report are "
                "what admin@commons.demo.example sees at /reports/organisation/."
            )
        for person, user, secret in logins:
            where = person.organisation or "Platform staff (Django admin at /admin/)"
            role = "superuser" if person.staff else Membership.Role(person.role).label
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"{person.email}"))
            self.stdout.write(f"  {person.full_name} · {where} · {role}")
            self.stdout.write(f"  TOTP secret: {secret}")
            uri = get_mfa_adapter().build_totp_url(user, secret)
            self.stdout.write(f"  otpauth URI: {uri}")
            self.stdout.write(f"  current code: {current_code(secret)} (changes every 30 s)")

    def _demo_submission(self, user: User) -> bool:
        """One submitted assessment (and its report) in the Commons office, so its admin has
        something to look at. Made once, through the same services a person uses."""
        from apps.assessments.models import Assessment
        from apps.assessments.questionnaire import questionnaire_for
        from apps.assessments.selectors import visible_control_ids
        from apps.assessments.services import answer_save, assessment_start, assessment_submit
        from apps.catalogue.selectors import pack_list_for_audience

        if Assessment.objects.filter(user=user).exists():
            return False
        packs = pack_list_for_audience(audience=user.membership.audience)
        if not packs:
            self.stderr.write("No catalogue pack loaded: run `manage.py load_catalogue` first.")
            return False
        assessment = assessment_start(actor=user, pack=packs[0])
        questionnaire = questionnaire_for(assessment.pack)
        given: dict[str, str] = {}
        # A plausible office: some things done, some half done, some not (deterministic).
        for index, control_id in enumerate(questionnaire.questions):
            if control_id not in visible_control_ids(assessment=assessment, answer_map=given):
                continue
            options = [o.key for o in questionnaire.questions[control_id].options]
            answer = options[index % len(options)]
            answer_save(
                actor=user, assessment=assessment, control_key=control_id, answer_key=answer
            )
            given[control_id] = answer
        # Outside any transaction: the report is queued, then rendered (in-process without a
        # broker, by `make worker` with one) as the submit commits.
        assessment_submit(actor=user, assessment=assessment)
        return True

    def _person(self, person: DemoPerson, organisations) -> tuple[DemoPerson, User, str]:
        user = User.objects.filter(email=person.email).first()
        if user is None:
            user = User.objects.create_user(
                email=person.email,
                password=DEMO_PASSWORD,
                full_name=person.full_name,
                is_staff=person.staff,
                is_superuser=person.staff,
            )
        EmailAddress.objects.get_or_create(
            user=user, email=person.email, defaults={"verified": True, "primary": True}
        )
        if person.organisation:
            Membership.objects.get_or_create(
                user=user,
                defaults={
                    "organisation": organisations[person.organisation],
                    "role": person.role,
                    "audience": person.audience,
                },
            )
        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            secret = generate_totp_secret()
            TOTP.activate(user, secret)
        else:
            secret = decrypt(totp.data["secret"])
        return person, user, secret
