"""The report status fragment and page, "try again", and an org admin's "regenerate all"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.reports import rendering, services
from apps.reports.models import RemediationReport
from apps.reports.services import report_request


def _status_url(assessment):
    return reverse("reports:status", kwargs={"public_id": assessment.public_id})


def _request_url(assessment):
    return reverse("reports:request", kwargs={"public_id": assessment.public_id})


def test_a_queued_report_polls_and_says_so(client_for, alice, submit):
    assessment = submit(alice)
    report_request(actor=alice, assessment=assessment)  # its enqueue waits for the commit

    response = client_for(alice).get(_status_url(assessment), HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-report-status="queued"' in html
    assert f'hx-get="{_status_url(assessment)}"' in html
    assert 'hx-trigger="every 2s"' in html
    assert "<html" not in html  # a fragment for htmx to swap in
    assert "Try again" not in html


def test_the_plain_page_works_without_javascript(client_for, alice, submit):
    assessment = submit(alice)
    report_request(actor=alice, assessment=assessment)

    response = client_for(alice).get(_status_url(assessment))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and 'data-report-status="queued"' in html
    assert "refresh it" in html
    assert "style=" not in html.split("<body", 1)[1]


def test_a_ready_report_offers_its_downloads_and_stops_polling(
    client_for, alice, submit, django_capture_on_commit_callbacks
):
    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=alice, assessment=assessment)

    html = client_for(alice).get(_status_url(assessment), HTTP_HX_REQUEST="true").content.decode()

    assert 'data-report-status="ready"' in html
    assert "hx-trigger" not in html
    assert reverse("reports:pdf", kwargs={"public_id": report.public_id}) in html
    assert reverse("reports:html", kwargs={"public_id": report.public_id}) in html


def test_a_failure_shows_try_again_and_the_previous_report_and_try_again_works(
    client_for, alice, submit, django_capture_on_commit_callbacks, monkeypatch
):
    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        previous = report_request(actor=alice, assessment=assessment)
    monkeypatch.setattr(services, "REPORT_FORMAT_VERSION", services.REPORT_FORMAT_VERSION + 1)
    real_html_to_pdf = rendering.html_to_pdf

    def broken(html):
        raise ValueError("no fonts")

    monkeypatch.setattr(rendering, "html_to_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        failed = report_request(actor=alice, assessment=assessment)
    client = client_for(alice)

    html = client.get(_status_url(assessment), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-report-status="failed"' in html
    assert "Your report failed" in html
    assert str(failed.public_id) in html  # the reference to quote
    assert "Try again" in html
    assert f'hx-post="{_request_url(assessment)}"' in html
    assert reverse("reports:pdf", kwargs={"public_id": previous.public_id}) in html
    assert "previous report" in html

    monkeypatch.setattr(rendering, "html_to_pdf", real_html_to_pdf)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_request_url(assessment), HTTP_HX_REQUEST="true")

    # The fragment comes back queued and polling; the render follows the commit.
    assert response.status_code == 200
    assert 'data-report-status="queued"' in response.content.decode()
    assert "hx-trigger" in response.content.decode()
    html = client.get(_status_url(assessment), HTTP_HX_REQUEST="true").content.decode()
    assert 'data-report-status="ready"' in html
    failed.refresh_from_db()
    assert failed.status == RemediationReport.Status.READY


def test_try_again_without_javascript_redirects_to_the_status_page(
    client_for, alice, submit, django_capture_on_commit_callbacks
):
    assessment = submit(alice)
    RemediationReport.objects.filter(assessment=assessment).delete()  # if submit asked already
    page = client_for(alice).get(_status_url(assessment)).content.decode()
    assert 'data-report-status="none"' in page and "Prepare my report" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(alice).post(_request_url(assessment))

    assert response.status_code == 302
    assert response["Location"] == _status_url(assessment)
    assert RemediationReport.objects.get(assessment=assessment).status == "ready"


@pytest.mark.parametrize("persona", ["bob", "carol", "charlie"])
def test_nobody_else_can_request_her_report(request, client_for, alice, submit, persona):
    assessment = submit(alice)
    someone = request.getfixturevalue(persona)

    response = client_for(someone).post(_request_url(assessment))

    assert response.status_code == 404
    # (Submitting may have requested her report already; nobody else added one.)
    assert not RemediationReport.objects.exclude(requested_by=alice).exists()


def test_her_org_admin_sees_the_status_but_is_not_offered_to_request(
    client_for, alice, bob, submit
):
    assessment = submit(alice)
    report_request(actor=alice, assessment=assessment)

    response = client_for(bob).get(_status_url(assessment))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Report for Alice Member MP" in html
    assert "Prepare my report" not in html and "Try again" not in html


def test_an_org_admin_regenerates_their_own_organisation_only(
    client_for,
    alice,
    bob,
    carol,
    charlie,
    submit,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    alices = submit(alice)
    carols = submit(carol)
    charlies = submit(charlie)
    with django_capture_on_commit_callbacks(execute=True):
        for person, assessment in ((alice, alices), (carol, carols), (charlie, charlies)):
            report_request(actor=person, assessment=assessment)
    assert RemediationReport.objects.filter(status="ready").count() == 3
    # A new report format: every report is out of date.
    monkeypatch.setattr(services, "REPORT_FORMAT_VERSION", services.REPORT_FORMAT_VERSION + 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(bob).post(reverse("reports:regenerate"))

    assert response.status_code == 302
    assert RemediationReport.objects.filter(assessment=alices).count() == 2
    assert RemediationReport.objects.filter(assessment=carols).count() == 2
    assert RemediationReport.objects.filter(assessment=charlies).count() == 1
    assert not RemediationReport.objects.exclude(status="ready").exists()
    event = AuditEvent.objects.get(action="report.regenerate_all")
    assert event.actor == bob
    assert event.organisation == alice.membership.organisation
    assert event.detail == {"assessments": 2, "queued": 2}

    # Nothing changed since: regenerating again renders nothing.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(bob).post(reverse("reports:regenerate"))
    assert RemediationReport.objects.count() == 5
    latest = AuditEvent.objects.filter(action="report.regenerate_all").order_by("-id").first()
    assert latest.detail == {
        "assessments": 2,
        "queued": 0,
    }


@pytest.mark.parametrize("persona", ["alice", "carol"])
def test_members_cannot_regenerate(request, client_for, persona):
    member = request.getfixturevalue(persona)
    client = client_for(member)

    assert client.post(reverse("reports:regenerate")).status_code == 404
    assert client.get(reverse("reports:organisation")).status_code == 404
    assert not AuditEvent.objects.filter(action="report.regenerate_all").exists()


def test_the_regenerate_service_refuses_another_organisation(bob, charlie):
    from django.http import Http404

    with pytest.raises(Http404):
        services.report_regenerate_for_organisation(
            actor=bob, organisation=charlie.membership.organisation
        )


def test_the_regenerate_button_needs_a_post(client_for, bob):
    assert client_for(bob).get(reverse("reports:regenerate")).status_code == 405


def test_the_status_tag_puts_the_fragment_in_another_page(rf, alice, submit):
    from django.middleware.csrf import get_token
    from django.template import engines

    assessment = submit(alice)
    report_request(actor=alice, assessment=assessment)
    request = rf.get("/assessments/results/")
    request.user = alice
    get_token(request)
    page = engines["django"].from_string(
        "{% load report_status %}<main>{% report_status assessment %}</main>"
    )

    html = page.render({"assessment": assessment}, request)

    assert 'data-report-status="queued"' in html
    assert f'hx-get="{_status_url(assessment)}"' in html


def test_trying_again_after_an_old_failure_polls_instead_of_saying_delayed(
    client_for, alice, submit
):
    from datetime import timedelta

    from django.utils import timezone

    assessment = submit(alice)  # queued (its on-commit render never runs here)
    long_ago = timezone.now() - timedelta(hours=3)
    RemediationReport.objects.filter(assessment=assessment).update(
        status=RemediationReport.Status.FAILED,
        error="RuntimeError: the render broke",
        created_at=long_ago,
        queued_at=long_ago,
        started_at=long_ago,
        finished_at=long_ago,
    )

    response = client_for(alice).post(_request_url(assessment), HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'data-report-status="queued"' in html
    assert "hx-trigger" in html and "Delayed" not in html


def test_the_org_admin_sees_each_persons_report_in_a_fixed_number_of_queries(
    client_for,
    alice,
    bob,
    carol,
    charlie,
    submit,
    django_capture_on_commit_callbacks,
    monkeypatch,
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with django_capture_on_commit_callbacks(execute=True):
        alices = submit(alice)
    carols = submit(carol)  # queued: its render never runs in this test's transaction
    submit(charlie)  # another organisation's: never shown to bob
    client = client_for(bob)
    client.get(reverse("reports:organisation"))  # the session settles

    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("reports:organisation"))
    assert len(few) <= 12

    overview = response.context["overview"]
    assert [row.assessment for row in overview["rows"]] == [carols, alices]
    assert (overview["submitted"], overview["ready"], overview["pending"]) == (2, 1, 1)
    html = response.content.decode()
    ready = RemediationReport.objects.get(assessment=alices)
    # The link asks for a reason first (compliance:open_detail); the file itself is not
    # reachable by the admin without one.
    assert (
        reverse("compliance:open_detail", kwargs={"public_id": alices.public_id}) + "?what=report"
        in html
    )
    assert "Charlie" not in html
    assert (
        client.get(reverse("reports:pdf", kwargs={"public_id": ready.public_id})).status_code == 404
    )

    # More people, same number of queries; a regenerated report replaces, it does not add.
    for n in range(3):
        from tests.factories import MembershipFactory, UserFactory

        someone = UserFactory(email=f"member{n}@example.org")
        MembershipFactory(user=someone, organisation=alice.membership.organisation)
        submit(someone)
    monkeypatch.setattr(services, "REPORT_FORMAT_VERSION", services.REPORT_FORMAT_VERSION + 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_regenerate_for_organisation(
            actor=bob, organisation=alice.membership.organisation
        )
    with CaptureQueriesContext(connection) as more:
        overview = client.get(reverse("reports:organisation")).context["overview"]
    assert len(more) == len(few)
    assert (overview["submitted"], overview["ready"], overview["failed"]) == (5, 5, 0)


def test_regenerate_all_takes_the_same_number_of_queries_for_two_people_or_six(
    alice, bob, carol, submit, monkeypatch
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import MembershipFactory, UserFactory

    organisation = alice.membership.organisation
    submit(alice)
    submit(carol)

    def regenerate_queries() -> int:
        # A new report format each time: every assessment needs a new render.
        monkeypatch.setattr(services, "REPORT_FORMAT_VERSION", services.REPORT_FORMAT_VERSION + 1)
        with CaptureQueriesContext(connection) as queries:
            result = services.report_regenerate_for_organisation(
                actor=bob, organisation=organisation
            )
        assert result.queued == result.assessments
        return len(queries)

    two = regenerate_queries()
    for n in range(4):
        someone = UserFactory(email=f"member{n}@example.org")
        MembershipFactory(user=someone, organisation=organisation)
        submit(someone)
    six = regenerate_queries()

    assert six == two
    # One per submit (6), then one per assessment for each regenerate (2, then 6).
    assert RemediationReport.objects.filter(status="queued").count() == 6 + 2 + 6


def test_org_admins_find_the_reports_page_in_the_header_and_members_do_not(client_for, alice, bob):
    link = f'href="{reverse("reports:organisation")}"'

    assert link in client_for(bob).get("/").content.decode()
    assert link not in client_for(alice).get("/").content.decode()
