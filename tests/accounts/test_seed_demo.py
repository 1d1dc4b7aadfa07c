"""`manage.py seed_demo`: demo organisations and people, idempotent."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from allauth.mfa.models import Authenticator
from django.core.management import call_command
from django.test import override_settings

from apps.accounts.management.commands.seed_demo import DEMO_PASSWORD
from apps.accounts.models import Membership, Organisation, User
from tests.security.flows import sign_in_mfa, sign_in_password, totp_code

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _snapshot():
    return (
        list(Organisation.objects.values_list("name", "kind")),
        list(User.objects.values_list("email", "password", "is_staff", "is_superuser")),
        list(
            Membership.objects.values_list("user__email", "organisation__name", "role", "audience")
        ),
        list(Authenticator.objects.values_list("user__email", "type", "data")),
    )


def test_it_creates_the_demo_organisations_and_people():
    _seed()

    commons = Organisation.objects.get(name="House of Commons (demo)")
    council = Organisation.objects.get(name="Example Borough Council Electoral Services (demo)")
    assert commons.kind == "parliamentary_office"
    assert council.kind == "la_electoral_services"
    named = {"user__email__startswith": "demo"}
    assert sorted(commons.memberships.exclude(**named).values_list("audience", "role")) == [
        ("parliamentarian", "member"),
        ("staff", "member"),
        ("staff", "member"),
        ("staff", "org_admin"),
    ]
    assert sorted(council.memberships.exclude(**named).values_list("audience", "role")) == [
        ("election_official", "member"),
        ("election_official", "org_admin"),
    ]
    staff = User.objects.get(is_superuser=True)
    assert staff.is_staff
    assert not Membership.objects.filter(user=staff).exists()
    for user in User.objects.all():
        assert user.check_password(DEMO_PASSWORD)
        assert user.emailaddress_set.get().verified
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def test_running_it_twice_changes_nothing_and_prints_the_same_logins():
    first = _seed()
    before = _snapshot()

    second = _seed()

    assert _snapshot() == before
    strip_codes = re.compile(r"current code: \d{6}")
    assert strip_codes.sub("", first) == strip_codes.sub("", second)


def test_the_printed_secret_signs_the_demo_mp_in(client):
    output = _seed()
    block = output.split("mp@commons.demo.example", 1)[1]
    secret = re.search(r"TOTP secret: ([A-Z2-7]+)", block).group(1)
    assert re.search(r"otpauth://totp/\S+secret=" + secret, block)
    assert DEMO_PASSWORD in output

    assert sign_in_password(client, "mp@commons.demo.example", DEMO_PASSWORD).status_code == 302
    assert sign_in_mfa(client, totp_code(secret))["Location"] == "/"


@override_settings(PRODUCTION=True)
def test_it_refuses_to_run_in_production():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="production"):
        _seed()
    assert not User.objects.exists()


def test_with_the_catalogue_loaded_the_caseworker_has_a_submitted_assessment_and_report(
    django_capture_on_commit_callbacks,
):
    from apps.assessments.models import Assessment
    from apps.reports.models import RemediationReport

    call_command("load_catalogue", stdout=StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        out = _seed()

    assessment = Assessment.objects.get(user__email="caseworker@commons.demo.example")
    assert assessment.is_submitted
    assert assessment.answers.count() >= 10
    report = RemediationReport.objects.get(assessment=assessment)
    assert report.status == RemediationReport.Status.READY, report.error
    assert "admin@commons.demo.example sees at /reports/organisation/" in out
    # Nobody else's assessment is made for them: the MP starts from a blank page.
    named = Assessment.objects.exclude(user__email__startswith="demo")
    assert named.count() == 1
    assessments, reports = Assessment.objects.count(), RemediationReport.objects.count()

    again = _seed()

    assert named.count() == 1
    assert (Assessment.objects.count(), RemediationReport.objects.count()) == (
        assessments,
        reports,
    )
    assert "has submitted an assessment" not in again


def test_each_demo_organisation_has_a_dashboard_above_the_threshold_and_a_campaign():
    from apps.compliance.models import Campaign
    from apps.compliance.selectors import dashboard_for_user

    call_command("load_catalogue", stdout=StringIO())
    out = _seed()
    # The printout says who the campaigns are for, so nobody hunts for the MP's.
    assert "the Commons office asks its staff, the council its election officials" in out
    assert sorted(Campaign.objects.values_list("audience", flat=True)) == [
        "election_official",
        "staff",
    ]

    for admin_email in ("admin@commons.demo.example", "admin@council.demo.example"):
        admin = User.objects.get(email=admin_email)
        dashboard = dashboard_for_user(user=admin)
        results = dashboard["results"]
        assert results["hidden"] is False
        assert results["people"] >= 12
        bands_seen = {b["band"] for s in results["scenarios"] for b in s["bands"] if b["count"]}
        assert len(bands_seen) >= 2  # a real distribution, not everyone alike
        (campaign,) = Campaign.objects.filter(organisation=admin.membership.organisation)
        assert campaign.due_date > campaign.created_at.date()
        assert campaign.assignments.count() >= 1
        assert dashboard["completion"][0]["total"] == campaign.assignments.count()
