"""The report's pages (issue 15, point 8): no near-empty page in the middle of the report,
no heading stranded at the bottom of a page, no internal ids ("see I-EML-01")."""

from __future__ import annotations

import io
import re

import pytest
from django.conf import settings
from pypdf import PdfReader

from apps.reports.models import RemediationReport
from apps.reports.rendering import render_report
from tests.assessments.test_story import _submit_mixed

pytestmark = pytest.mark.django_db

FOOTER = re.compile(r"^(Portcullis remediation report · sensitive)?\s*(Page \d+)?$")


def _pages(pdf: bytes) -> list[list[str]]:
    pages = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        lines = [line.strip() for line in (page.extract_text() or "").splitlines()]
        pages.append([line for line in lines if line and not FOOTER.match(line)])
    return pages


@pytest.mark.parametrize(
    ("persona", "pack_file"),
    [("alice", "high-risk-individuals.yaml"), ("dave", "election-bodies.yaml")],
)
def test_no_near_empty_page_no_stranded_heading_and_no_internal_ids(request, persona, pack_file):
    user = request.getfixturevalue(persona)
    assessment = _submit_mixed(user, pack_file)
    report = RemediationReport.objects.get(assessment=assessment)
    pdf = render_report(report).pdf
    pages = _pages(pdf)
    assert len(pages) > 3

    headings = {"How the attack would go", "What would have stopped it", "Your plan"}
    for number, lines in enumerate(pages[1:-1], start=2):
        # The cover and the last page may be short; no page in between is nearly empty.
        assert len(lines) >= 6, (number, lines)
        assert lines[-1] not in headings, (number, lines[-3:])
    text = "\n".join("\n".join(lines) for lines in pages)
    assert not re.search(r"\b[A-Z]-[A-Z]{2,4}-\d{2}\b", text)
    assert settings.CATALOGUE_PACKS_DIR  # the shipped packs, as a person gets them
