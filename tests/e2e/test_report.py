"""The report, as the person gets it in a real browser: it appears on the results page by
itself (htmx polls while a real Celery worker renders it), and the PDF downloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.reports.models import RemediationReport
from tests.e2e.conftest import axe_violations
from tests.reports.support import pdf_text

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("report-worker"),
]


def test_the_report_appears_on_the_results_page_and_its_pdf_downloads(
    report_worker, signed_in, live_server, alice, bob, submit
):
    assessment = submit(alice)  # queued on commit; the worker renders it
    page = signed_in(alice)

    page.goto(f"{live_server.url}/assessments/{assessment.public_id}/results/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your results")
    link = page.get_by_role("link", name="Download the report (PDF")
    expect(link).to_be_visible(timeout=30_000)  # without a reload: the fragment polls

    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    with open(download.path(), "rb") as handle:
        text = pdf_text(handle.read())
    report = RemediationReport.objects.get(assessment=assessment)
    assert report.status == RemediationReport.Status.READY
    result = report.score.result
    assert result["plan"][0]["title"] in text
    for scenario in result["scenarios"]:
        assert scenario["band"].capitalize() in text
    assert page.csp_errors == []

    # Her office's admin finds it on the reports page (accessible), and downloads it too.
    admin = signed_in(bob, bypass_csp=True)  # axe is injected as an inline script
    admin.goto(f"{live_server.url}/assessments/")
    admin.get_by_role("link", name="Reports", exact=True).click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Remediation reports")
    row = admin.locator("#organisation-reports tr", has_text="Alice Member MP")
    expect(row).to_have_attribute("data-report-state", "ready")
    assert axe_violations(admin) == []
    # The link asks why first; the reason is recorded, then the PDF comes.
    row.get_by_role("link", name="PDF").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text(
        "Open Alice Member MP's answers or report"
    )
    admin.get_by_label("Their report (PDF)").check()
    admin.get_by_label("The person asked me to").check()
    with admin.expect_download() as download_info:
        admin.get_by_role("button", name="Record my reason and open").click()
    assert download_info.value.suggested_filename == download.suggested_filename
