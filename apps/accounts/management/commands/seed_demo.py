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


# Besides the named logins, each demo organisation gets this many people who have
# answered and submitted (with the demo password and an unprinted TOTP secret: they are
# there for the figures, not to sign in).
CROWD_SIZE = 12
CROWD = {
    COMMONS: [Audience.STAFF, Audience.STAFF, Audience.PARLIAMENTARIAN],
    COUNCIL: [Audience.ELECTION_OFFICIAL],
}
CAMPAIGN_AUDIENCE = {COMMONS: Audience.STAFF, COUNCIL: Audience.ELECTION_OFFICIAL}
CROWD_NAMES = [
    ("Aisha", "Khan"),
    ("Ben", "Davies"),
    ("Chloe", "Evans"),
    ("Dev", "Patel"),
    ("Eilidh", "Macleod"),
    ("Femi", "Adebayo"),
    ("Grace", "O'Neill"),
    ("Hamza", "Ali"),
    ("Isla", "Thomas"),
    ("Jack", "Roberts"),
    ("Kofi", "Mensah"),
    ("Lowri", "Jones"),
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
        crowd = self._demo_crowd(organisations)
        self._demo_campaigns(organisations, logins)

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
        if crowd:
            self.stdout.write(
                f"{crowd} more demo people answered and submitted, so each organisation's "
                "dashboard at /organisation/ shows real distributions."
            )
        self.stdout.write(
            "Each organisation runs a campaign due in three weeks: the Commons office asks its "
            "staff, the council its election officials (they see it on their home page). The "
            "demo MP has none until admin@commons.demo.example launches one for MPs from "
            "/organisation/."
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

    def _demo_crowd(self, organisations) -> int:
        """Enough people in each demo organisation (CROWD_SIZE, besides the named logins)
        with varied, realistic answers, submitted, that the dashboard shows distributions
        above the privacy threshold. Deterministic, made once, through the same services
        a person uses (their reports render like anyone's)."""
        import random
        import zlib

        from django.contrib.auth.hashers import make_password

        from apps.assessments.questionnaire import questionnaire_for
        from apps.assessments.selectors import visible_control_ids
        from apps.assessments.services import answer_save, assessment_start, assessment_submit
        from apps.catalogue.selectors import pack_list_for_audience

        password = None
        made = 0
        for org_name, roles in CROWD.items():
            organisation = organisations[org_name]
            domain = "commons" if org_name == COMMONS else "council"
            for index in range(CROWD_SIZE):
                audience = roles[index % len(roles)]
                email = f"demo{index + 1:02d}@{domain}.demo.example"
                if User.objects.filter(email=email).exists():
                    continue
                password = password or make_password(DEMO_PASSWORD)
                first, last = CROWD_NAMES[index % len(CROWD_NAMES)]
                user = User.objects.create(
                    email=email, full_name=f"{first} {last}", password=password
                )
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
                Membership.objects.create(user=user, organisation=organisation, audience=audience)
                TOTP.activate(user, generate_totp_secret())  # MFA on, like every demo account
                packs = pack_list_for_audience(audience=audience)
                if not packs:
                    continue
                assessment = assessment_start(actor=user, pack=packs[0])
                questionnaire = questionnaire_for(assessment.pack)
                # Each person has their own habits: careful people answer "yes" more.
                rng = random.Random(zlib.crc32(email.encode()))  # noqa: S311 - demo data
                care = 0.15 + 0.7 * (index % 7) / 6
                given: dict[str, str] = {}
                for control_id in questionnaire.questions:
                    if control_id not in visible_control_ids(
                        assessment=assessment, answer_map=given
                    ):
                        continue
                    options = [o.key for o in questionnaire.questions[control_id].options]
                    weights = [
                        {"yes": care, "partly": 0.25, "no": 1 - care, "unsure": 0.08}.get(k, 0.05)
                        for k in options
                    ]
                    answer = rng.choices(options, weights)[0]
                    answer_save(
                        actor=user, assessment=assessment, control_key=control_id, answer_key=answer
                    )
                    given[control_id] = answer
                assessment_submit(actor=user, assessment=assessment)
                made += 1
        return made

    def _demo_campaigns(self, organisations, logins) -> None:
        """One running campaign per demo organisation, launched by its admin, due in three
        weeks. Made once."""
        import datetime

        from django.utils import timezone

        from apps.catalogue.selectors import pack_list_for_audience
        from apps.compliance.models import Campaign
        from apps.compliance.services import campaign_launch

        for org_name, audience in CAMPAIGN_AUDIENCE.items():
            organisation = organisations[org_name]
            if Campaign.objects.filter(organisation=organisation).exists():
                continue
            admin = next(
                user
                for person, user, _ in logins
                if person.organisation == org_name and person.role == Membership.Role.ORG_ADMIN
            )
            packs = pack_list_for_audience(audience=audience)
            if not packs:
                continue
            campaign_launch(
                actor=admin,
                pack=packs[0],
                due_date=timezone.localdate() + datetime.timedelta(days=21),
                audience=audience,
                recurrence=Campaign.Recurrence.YEARLY,
            )

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
