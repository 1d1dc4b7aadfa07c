"""Who may download a report, and how it is served (SECURITY_TESTS.md item 18 and 19)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.urls import reverse

from apps.audit.models import AuditEvent
from apps.reports.models import RemediationReport
from apps.reports.services import report_request


@pytest.fixture
def ready_report(alice, submit, django_capture_on_commit_callbacks):
    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=alice, assessment=assessment)
    report.refresh_from_db()
    assert report.status == RemediationReport.Status.READY, report.error
    return report


def _pdf_url(report):
    return reverse("reports:pdf", kwargs={"public_id": report.public_id})


def _download_events():
    return AuditEvent.objects.filter(action="report.download")


def test_the_owner_downloads_her_pdf_as_a_clean_attachment(client_for, alice, ready_report):
    response = client_for(alice).get(_pdf_url(ready_report))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    filename = re.search(r'filename="([^"]+)"', disposition).group(1)
    assert re.fullmatch(r"portcullis-report-alice-member-mp-\d{4}-\d{2}-\d{2}\.pdf", filename)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    body = b"".join(response.streaming_content)
    assert body.startswith(b"%PDF-")
    assert len(body) == ready_report.size
    # Her own download is not an access to someone else's data: nothing to audit.
    assert not _download_events().exists()


def test_the_html_version_is_an_attachment_too(client_for, alice, ready_report):
    response = client_for(alice).get(
        reverse("reports:html", kwargs={"public_id": ready_report.public_id})
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "no-store"
    # Opened in the browser by mistake, it could run nothing and load nothing.
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert "sandbox" in response["Content-Security-Policy"]
    body = b"".join(response.streaming_content)
    assert b"Your remediation plan" in body
    assert b"<strong>Why this matters:</strong>" in body  # each plan step says why


def test_her_org_admin_gets_404_without_a_stated_reason_and_it_is_recorded(
    client_for, alice, bob, ready_report
):
    client = client_for(bob)

    assert client.get(_pdf_url(ready_report)).status_code == 404
    (event,) = _download_events()
    assert (event.actor, event.subject, event.outcome) == (bob, alice, AuditEvent.Outcome.DENIED)


def test_her_org_admin_may_download_with_a_reason_and_each_download_is_audited_once(
    client_for, alice, bob, ready_report
):
    client = client_for(bob)

    first = client.post(
        reverse(
            "compliance:open_detail_record", kwargs={"public_id": ready_report.assessment.public_id}
        ),
        {"what": "report", "reason": "The person asked me to"},
    )
    assert first.status_code == 200
    events = list(_download_events())
    assert len(events) == 1
    event = events[0]
    assert event.actor == bob
    assert event.subject == alice
    assert event.organisation == alice.membership.organisation
    assert event.object_id == str(ready_report.public_id)
    assert event.outcome == AuditEvent.Outcome.ALLOWED
    assert event.detail == {"kind": "pdf"}

    client.post(
        reverse(
            "compliance:open_detail_record", kwargs={"public_id": ready_report.assessment.public_id}
        ),
        {"what": "report", "reason": "The person asked me to"},
    )
    assert _download_events().count() == 2


@pytest.mark.parametrize("persona", ["carol", "charlie", "dave"])
def test_colleagues_and_other_organisations_get_404(request, client_for, ready_report, persona):
    outsider = request.getfixturevalue(persona)
    client = client_for(outsider)

    for name in ("reports:pdf", "reports:html", "reports:detail"):
        response = client.get(reverse(name, kwargs={"public_id": ready_report.public_id}))
        assert response.status_code == 404, name
    status_url = reverse("reports:status", kwargs={"public_id": ready_report.assessment.public_id})
    assert client.get(status_url).status_code == 404
    # The refused downloads are on record, and nothing was recorded as allowed.
    assert _download_events().filter(outcome=AuditEvent.Outcome.DENIED, actor=outsider).count() == 2
    assert not _download_events().filter(outcome=AuditEvent.Outcome.ALLOWED).exists()


def test_anonymous_visitors_are_sent_to_sign_in(client, ready_report):
    response = client.get(_pdf_url(ready_report))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/reports/../../config/settings.py",
        "/reports/..%2f..%2fconfig%2fsettings.py/pdf",
        "/reports/%2e%2e%2f%2e%2e%2fetc%2fpasswd/pdf",
        "/reports/%252e%252e%252fetc%252fpasswd/pdf",
        "/reports/%2Fetc%2Fpasswd/pdf",
        "/reports//etc/passwd/pdf",
        "/reports/etc/passwd/pdf",
        "/reports/{uuid}/../../../etc/passwd",
        "/reports/{uuid}/pdf/../../../etc/passwd",
        "/reports/{uuid}/..%2f..%2f..%2fetc%2fpasswd",
        "/reports/{uuid}/%2e%2e%2fhtml",
        "/reports/{uuid}/pdf%00.html",
        "/reports/{uuid}/{name}",
        "/reports/{uuid}/reports%2f{hexid}%2fattempt-1.pdf",
    ],
)
def test_path_traversal_attempts_get_404(client_for, alice, ready_report, path):
    url = path.format(
        uuid=ready_report.public_id,
        hexid=ready_report.public_id.hex,
        name=ready_report.pdf_name,
    )
    response = client_for(alice).get(url)
    assert response.status_code == 404


def test_the_file_comes_only_from_the_row_and_a_tampered_name_is_refused(
    client_for, alice, ready_report
):
    # Someone who could write the row still cannot point the download at another file.
    for forged in ("../../config/settings.py", "/etc/passwd", "reports/../../../etc/passwd"):
        RemediationReport.objects.filter(pk=ready_report.pk).update(pdf_name=forged)
        assert client_for(alice).get(_pdf_url(ready_report)).status_code == 404

    # Another report's file is not this report's file either.
    other = RemediationReport.objects.get(pk=ready_report.pk)
    other_name = f"reports/{'0' * 32}/attempt-1.pdf"
    storages["private"].save(other_name, ContentFile(b"%PDF-other"))
    RemediationReport.objects.filter(pk=other.pk).update(pdf_name=other_name)
    assert client_for(alice).get(_pdf_url(ready_report)).status_code == 404


def test_report_files_are_configured_outside_media_and_static():
    import config.settings as configured  # the values as deployed, not a test's override

    private = Path(configured.STORAGES["private"]["OPTIONS"]["location"]).resolve()
    assert configured.STORAGES["private"]["OPTIONS"]["base_url"] is None  # no URL to build
    public_roots = [Path(configured.MEDIA_ROOT), Path(configured.STATIC_ROOT)]
    public_roots += [Path(d) for d in configured.STATICFILES_DIRS]
    for root in public_roots:
        root = root.resolve()
        assert not private.is_relative_to(root), root
        assert not root.is_relative_to(private), root


def test_a_stored_report_is_not_reachable_under_media_or_static_urls(
    client_for, alice, ready_report, private_storage
):
    stored = Path(storages["private"].path(ready_report.pdf_name)).resolve()
    assert stored.is_relative_to(private_storage)
    assert not stored.read_bytes().startswith(b"%PDF-")  # sealed at rest
    with storages["private"].open(ready_report.pdf_name, "rb") as handle:
        assert handle.read().startswith(b"%PDF-")
    client = client_for(alice)
    for prefix in (settings.MEDIA_URL, settings.STATIC_URL):
        assert client.get(prefix + ready_report.pdf_name).status_code == 404


def test_a_report_that_is_not_ready_cannot_be_downloaded(client_for, alice, ready_report):
    RemediationReport.objects.filter(pk=ready_report.pk).update(
        status=RemediationReport.Status.RUNNING
    )
    assert client_for(alice).get(_pdf_url(ready_report)).status_code == 404
