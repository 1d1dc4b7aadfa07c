"""Staff reads and changes in the admin, and refused access to a person's object, are audited
(SECURITY_TESTS 19 "denied attempts are recorded too", and the probe finding "staff reads of
a person's scores or answers in the admin are audited like an org admin's")."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from apps.accounts.models import Membership, User
from apps.audit.models import AuditEvent
from apps.reports.services import report_request
from apps.scoring.models import Score

pytestmark = pytest.mark.django_db


def _denied(action="access.denied"):
    return AuditEvent.objects.filter(action=action, outcome=AuditEvent.Outcome.DENIED)


# --- Staff in the admin ----------------------------------------------------------------------


def test_the_admin_shows_no_score_of_a_person(client_for, staff, alice, submit):
    assessment = submit(alice)
    score = Score.objects.get(assessment=assessment)
    client = client_for(staff)

    listing = client.get("/admin/scoring/score/").content.decode()
    page = client.get(f"/admin/scoring/score/{score.pk}/change/").content.decode()

    assert str(score.public_id) in listing  # staff can still see that a snapshot exists
    for shown in (listing, page):
        assert "exposures" not in shown.lower() and "baseline" not in shown.lower()
        for exposure in score.exposures.values():
            assert f"{exposure}" not in shown
        assert "critical_gaps" not in shown and '"plan"' not in shown


def test_no_admin_page_shows_answers_or_notes(client_for, staff, alice, submit):
    submit(alice)
    client = client_for(staff)

    index = client.get("/admin/").content.decode()
    assert "/admin/assessments/" not in index
    assert client.get("/admin/assessments/answer/").status_code == 404


def test_staff_removing_an_authenticator_is_audited_and_ends_the_sessions(client_for, staff, alice):
    totp = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    client = client_for(staff)

    page = client.get(f"/admin/mfa/authenticator/{totp.pk}/change/").content.decode()
    assert "enc1:" not in page  # the sealed secret is not shown either
    response = client.post(f"/admin/mfa/authenticator/{totp.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    event = AuditEvent.objects.get(action="mfa.authenticator_removed")
    assert event.actor == staff and event.subject == alice
    assert event.detail["by"] == "staff" and event.detail["type"] == "totp"


def test_a_role_change_in_the_admin_goes_through_the_audited_service(client_for, staff, alice):
    membership = alice.membership
    client = client_for(staff)

    response = client.post(
        f"/admin/accounts/membership/{membership.pk}/change/",
        {"role": Membership.Role.ORG_ADMIN, "audience": membership.audience},
    )

    assert response.status_code == 302
    assert Membership.objects.get(pk=membership.pk).role == Membership.Role.ORG_ADMIN
    event = AuditEvent.objects.get(action="membership.role_changed")
    assert event.actor == staff and event.subject == alice
    assert event.detail == {"from": "member", "to": "org_admin"}


def test_the_last_admin_cannot_be_demoted_in_the_admin_either(client_for, staff, bob):
    client = client_for(staff)

    client.post(
        f"/admin/accounts/membership/{bob.membership.pk}/change/",
        {"role": Membership.Role.MEMBER, "audience": bob.membership.audience},
    )

    assert Membership.objects.get(pk=bob.membership.pk).role == Membership.Role.ORG_ADMIN
    assert not AuditEvent.objects.filter(action="membership.role_changed").exists()


def test_making_someone_staff_in_the_admin_is_audited(client_for, staff, alice):
    client = client_for(staff)
    form = {
        "email": alice.email,
        "full_name": alice.full_name,
        "is_active": "on",
        "is_staff": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }

    response = client.post(f"/admin/accounts/user/{alice.pk}/change/", form)

    assert response.status_code == 302, response.content[:2000]
    assert User.objects.get(pk=alice.pk).is_staff
    event = AuditEvent.objects.get(action="user.privileges_changed")
    assert event.actor == staff and event.subject == alice
    assert event.detail["changes"] == {"is_staff": {"from": False, "to": True}}


# --- Refused access to a person's object -----------------------------------------------------


@pytest.mark.parametrize(
    "route", ["assessments:resume", "assessments:results", "assessments:review", "reports:status"]
)
def test_a_refused_page_about_someone_else_is_audited(client_for, alice, charlie, submit, route):
    assessment = submit(alice)

    response = client_for(charlie).get(reverse(route, kwargs={"public_id": assessment.public_id}))

    assert response.status_code == 404
    event = _denied().get()
    assert event.actor == charlie and event.subject == alice
    assert event.organisation == alice.membership.organisation
    assert event.object_id == str(assessment.public_id)
    assert event.detail["view"] == route


def test_a_colleague_and_a_foreign_admin_are_recorded_alike(client_for, alice, carol, dave, submit):
    assessment = submit(alice)
    url = reverse("assessments:results", kwargs={"public_id": assessment.public_id})

    for outsider in (carol, dave):
        assert client_for(outsider).get(url).status_code == 404

    assert set(_denied().values_list("actor_label", flat=True)) == {carol.email, dave.email}


def test_a_refused_report_download_is_recorded_once(
    client_for, alice, charlie, submit, django_capture_on_commit_callbacks
):
    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=alice, assessment=assessment)

    response = client_for(charlie).get(
        reverse("reports:pdf", kwargs={"public_id": report.public_id})
    )

    assert response.status_code == 404
    assert AuditEvent.objects.filter(outcome=AuditEvent.Outcome.DENIED).count() == 1


def test_a_made_up_id_or_ones_own_object_records_nothing(client_for, alice, submit):
    assessment = submit(alice)
    client = client_for(alice)

    made_up = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/assessments/{made_up}/results/").status_code == 404
    assert client.get(reverse("assessments:results", args=[assessment.public_id])).status_code in (
        200,
        302,
    )

    assert not _denied().exists()


def test_a_refused_member_page_is_audited(client_for, alice, dave):
    url = reverse("accounts:member_detail", kwargs={"public_id": alice.membership.public_id})

    assert client_for(dave).get(url).status_code == 404

    event = _denied().get()
    assert event.actor == dave and event.subject == alice


def test_staff_setting_a_password_is_audited_and_ends_the_sessions(client_for, staff, alice):
    client = client_for(staff)

    response = client.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {"password1": "a new long passphrase 42", "password2": "a new long passphrase 42"},
    )

    assert response.status_code == 302
    event = AuditEvent.objects.get(action="user.password_set_by_staff")
    assert event.actor == staff and event.subject == alice


def test_the_admin_links_to_the_audit_viewer(client_for, staff):
    assert reverse("audit:list") in client_for(staff).get("/admin/").content.decode()
