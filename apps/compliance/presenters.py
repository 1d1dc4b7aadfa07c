"""Template contexts for the compliance pages: selectors' results, shaped for display."""

from __future__ import annotations

from django.http import FileResponse, Http404

from apps.accounts.models import Audience
from apps.compliance import selectors


def _filter_choices(*, user, filters) -> dict:
    return {
        "campaigns": [
            {"id": str(c.public_id), "name": c.name}
            for c in selectors.campaign_list_for_user(user=user)
        ],
        "audiences": Audience.choices,
        "current": filters,
        "query": "&".join(f"{k}={v}" for k, v in filters.as_params().items()),
    }


def dashboard_context(*, user, filters) -> dict:
    return {
        "dashboard": selectors.dashboard_for_user(user=user, filters=filters),
        "plan": selectors.organisation_plan_for_user(user=user, filters=filters),
        "filter": _filter_choices(user=user, filters=filters),
        "export_kinds": [
            ("members", "People and their progress"),
            ("results", "Results by scenario"),
            ("plan", "Organisation plan"),
        ],
        "export_formats": [("csv", "CSV"), ("xlsx", "Excel")],
    }


def members_context(*, user, filters, page=1) -> dict:
    from apps.catalogue.selectors import scenario_titles

    found = selectors.member_status_page_for_user(user=user, filters=filters, page=page)
    # Rows carry scenario keys (as the exports do); a person reads the scenario's title.
    titles = scenario_titles(keys={key for row in found["rows"] for key in row["bands"]})
    members = [
        {**row, "results": [(titles.get(key, key), band) for key, band in row["bands"].items()]}
        for row in found["rows"]
    ]
    return {
        "members": members,
        "page": found["page"],
        "filter": _filter_choices(user=user, filters=filters),
    }


def answers_context(*, assessment, reason: str) -> dict:
    """One person's answers, question by question, as their admin sees them."""
    from apps.assessments.selectors import answers_for_assessment
    from apps.catalogue.models import Control
    from apps.scoring.selectors import score_latest_for_assessment

    stored = answers_for_assessment(assessment=assessment)
    controls = Control.objects.filter(pack=assessment.pack).select_related("section")
    rows = []
    for control in controls.order_by("order"):
        answer = stored.get(control.key)
        if answer is None:
            continue
        labels = {a["key"]: a["label"] for a in control.answers}
        rows.append(
            {
                "section": control.section.title,
                "question": control.question,
                "answer": labels.get(answer.answer_key, answer.answer_key),
                "note": answer.note,
            }
        )
    score = score_latest_for_assessment(assessment=assessment)
    return {
        "assessment": assessment,
        "person": assessment.user,
        "reason": reason,
        "rows": rows,
        "score": score.result if score else None,
    }


def report_file_response(*, user, assessment):
    """The person's newest ready report, as a download (the reason is already recorded)."""
    from apps.reports.selectors import report_latest_ready_for_assessment
    from apps.reports.services import report_download

    report = report_latest_ready_for_assessment(assessment=assessment)
    if report is None:
        raise Http404("This person's report is not ready.")
    download = report_download(
        actor=user, public_id=report.public_id, kind="pdf", reason_recorded=True
    )
    response = FileResponse(
        download.file,
        as_attachment=True,
        filename=download.filename,
        content_type=download.content_type,
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
