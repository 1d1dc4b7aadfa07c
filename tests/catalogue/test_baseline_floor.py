"""A pack's band floor when the baseline is not met (issue 15, point 2).

The election official with patching and default passwords open saw "6/100 moderate" under
"Baseline not met": a low number reads as safe. A pack may now say that while its baseline
is not met no scenario reads below a band, with its reason; the gauge and the report show
the raised band and the reason.
"""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from apps.assessments.models import Assessment
from apps.assessments.services import answer_save, assessment_submit
from apps.catalogue.schema import PackValidationError, pack_source_from_content, validate_pack
from apps.catalogue.services import pack_load_data
from apps.reports.models import RemediationReport
from apps.reports.rendering import html_to_pdf, report_document
from apps.scoring import engine
from tests.catalogue.packs import minimal_pack_data
from tests.reports.support import pdf_text

REASON = "Patching and default passwords were the Commission's own 2021 failures."
# Everything in place except the critical 2-step verification: exposure is low (about 5).
ALL_BUT_BASELINE = {
    "T-ACC-01": "no",
    "T-ACC-02": "yes",
    "T-ACC-03": "yes",
    "T-DEV-01": "yes",
    "T-DEV-02": "yes",
    "T-GOV-01": "yes",
}


def _floored(band="high", reason=REASON, version="2026.2"):
    data = minimal_pack_data(version=version)
    data["baseline_floor"] = {"band": band, "reason": reason}
    return data


def _errors(data) -> list[tuple[str, str]]:
    with pytest.raises(PackValidationError) as caught:
        validate_pack(data)
    return caught.value.errors


# --- the format -------------------------------------------------------------------------
def test_a_floor_is_read_and_written_back_as_given():
    content = validate_pack(_floored())
    assert content["baseline_floor"] == {"band": "high", "reason": REASON}
    assert validate_pack(pack_source_from_content(content)) == content


def test_a_pack_without_a_floor_is_unchanged_so_loaded_versions_keep_their_checksum():
    assert "baseline_floor" not in validate_pack(minimal_pack_data())


@pytest.mark.parametrize(
    ("floor", "path", "reason"),
    [
        ({"band": "low", "reason": REASON}, "baseline_floor.band", "changes nothing"),
        ({"band": "severe", "reason": REASON}, "baseline_floor.band", "is not one of"),
        ({"band": "high"}, "baseline_floor.reason", "required field is missing"),
        ({"band": "high", "reason": " "}, "baseline_floor.reason", "must not be empty"),
        ({"band": "high", "reason": REASON, "why": "x"}, "baseline_floor.why", "unknown field"),
        ("high", "baseline_floor", "must be a mapping"),
    ],
)
def test_a_bad_floor_is_refused_with_its_path_and_reason(floor, path, reason):
    data = minimal_pack_data()
    data["baseline_floor"] = floor
    errors = _errors(data)
    assert any(p == path and reason in r for p, r in errors), errors


def test_a_floor_in_a_pack_without_critical_controls_is_refused():
    data = _floored()
    for section in data["sections"]:
        for control in section["controls"]:
            control.pop("critical", None)
    errors = _errors(data)
    assert any(p == "baseline_floor" and "never apply" in r for p, r in errors), errors


def test_the_loader_keeps_the_floor_on_the_pack_row(db):
    pack = pack_load_data(_floored()).pack
    assert (pack.baseline_floor_band, pack.baseline_floor_reason) == ("high", REASON)
    assert pack_load_data(minimal_pack_data()).pack.baseline_floor_band == ""


# --- the engine -------------------------------------------------------------------------
def _scenario(data, answers):
    result = engine.evaluate(
        engine.compile_pack(validate_pack(data)), answers, "parliamentarian", with_plan=False
    )
    return result, result.scenarios[0]


def test_an_unmet_baseline_never_reads_below_the_floor_and_the_number_is_unchanged():
    plain_result, plain = _scenario(minimal_pack_data(), ALL_BUT_BASELINE)
    floored_result, floored = _scenario(_floored(), ALL_BUT_BASELINE)

    assert not plain_result.baseline_met and plain.band == "low"
    assert floored.band == "high"
    assert floored.exposure == plain.exposure and floored.score == plain.score < 20


def test_a_band_above_the_floor_stays_and_a_met_baseline_lifts_the_floor():
    exposed = dict.fromkeys(ALL_BUT_BASELINE, "no")
    _, worst = _scenario(_floored(band="moderate"), exposed)
    assert worst.band == "high"  # exposure 50: above the moderate floor, unchanged

    _, met = _scenario(_floored(), {**ALL_BUT_BASELINE, "T-ACC-01": "yes"})
    assert met.band == "low"


# --- what the person sees ---------------------------------------------------------------
@pytest.fixture
def floored_submitted(db, alice):
    pack = pack_load_data(_floored()).pack
    membership = alice.membership
    assessment = Assessment.objects.create(
        user=alice, organisation=membership.organisation, pack=pack, audience=membership.audience
    )
    for control, key in ALL_BUT_BASELINE.items():
        answer_save(actor=alice, assessment=assessment, control_key=control, answer_key=key)
    assessment_submit(actor=alice, assessment=assessment)
    return assessment


def test_the_results_gauge_says_the_band_was_raised_and_why(client_for, alice, floored_submitted):
    url = reverse("assessments:results", args=[floored_submitted.public_id])
    body = client_for(alice).get(url).content.decode()

    assert "Baseline not met" in body
    assert "Rated high, not low, because the baseline is not met." in body
    assert "Patching and default passwords were the Commission&#x27;s own 2021 failures." in body
    # The dial itself, for screen readers and at a glance.
    assert "because the baseline is not met (the exposure alone would be low)</title>" in body
    assert ">high: baseline not met</text>" in body


def test_the_report_says_the_band_was_raised_and_why(alice, floored_submitted):
    report = RemediationReport.objects.filter(assessment=floored_submitted).first()
    document = report_document(report)
    assert document["scenarios"][0]["floor"] == {
        "band": "high",
        "by_exposure": "low",
        "reason": REASON,
    }
    html = render_to_string("reports/report.html", {**document, "inline_css": ""})
    text = " ".join(pdf_text(html_to_pdf(html)).split())
    assert "High" in text and "baseline not met" in text  # the summary table
    assert "Rated high, not low, because the baseline is not met." in text
    assert REASON in text
