"""Everything the service holds about one person, for them to download."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.utils import timezone

from apps.accounts.models import Invitation, Membership
from apps.assessments.models import Answer, AnswerVerification, Assessment
from apps.audit.models import AuditEvent
from apps.compliance.selectors import detail_views_of_user
from apps.reports.models import RemediationReport
from apps.scoring.models import Score

EXPORT_FORMAT = 1


def _iso(value):
    return value.isoformat() if value else None


def _seen_by(user) -> list[dict]:
    """Who has seen this person's answers or report, and why (the compliance pages' record,
    the same rows as their "who has seen my answers" page)."""
    return [
        {key: _iso(value) if hasattr(value, "isoformat") else value for key, value in row.items()}
        for row in detail_views_of_user(user=user)
    ]


def _reports(assessment) -> list[dict]:
    return [
        {
            "id": str(report.public_id),
            "status": report.status,
            "created_at": _iso(report.created_at),
            "finished_at": _iso(report.finished_at),
            "pack_version": report.pack_version,
            "engine_version": report.engine_version,
            "files": [
                {"kind": kind, "name": name.rsplit("/", 1)[-1]}
                for kind, name in (("html", report.html_name), ("pdf", report.pdf_name))
                if name
            ],
            "pdf_sha256": report.sha256,
            "pdf_bytes": report.size,
        }
        for report in RemediationReport.objects.filter(assessment=assessment).order_by("created_at")
    ]


def _assessment(assessment) -> dict:
    answers = Answer.objects.filter(assessment=assessment).order_by("control_key")
    scores = Score.objects.filter(assessment=assessment).order_by("created_at")
    return {
        "id": str(assessment.public_id),
        "pack": f"{assessment.pack.slug}@{assessment.pack.version}",
        "audience": assessment.audience,
        "status": assessment.status,
        "created_at": _iso(assessment.created_at),
        "updated_at": _iso(assessment.updated_at),
        "submitted_at": _iso(assessment.submitted_at),
        "answers": [
            {
                "question": answer.control_key,
                "answer": answer.answer_key,
                "note": answer.note,
                "updated_at": _iso(answer.updated_at),
            }
            for answer in answers
        ],
        "scores": [
            {
                "id": str(score.public_id),
                "created_at": _iso(score.created_at),
                "engine_version": score.engine_version,
                "baseline_met": score.baseline_met,
                "exposures": score.exposures,
                "bands": score.bands,
                "plan_length": score.plan_length,
                "result": score.result,
            }
            for score in scores
        ],
        "verified_by_your_it_team": [
            {
                "question": verification.control_key,
                "answer": verification.answer_key,
                "by": verification.source_name,
                "evidence": verification.evidence_reference,
                "observed_at": _iso(verification.evidence_observed_at),
                "verified_at": _iso(verification.verified_at),
                "disputed_at": _iso(verification.disputed_at),
                "your_reason": verification.dispute_reason,
            }
            for verification in AnswerVerification.objects.filter(assessment=assessment).order_by(
                "control_key"
            )
        ],
        "reports": _reports(assessment),
    }


def personal_data_for_user(*, user) -> dict:
    """All of `user`'s data, for themselves: account, membership, second factors (kinds and
    dates, never secrets), assessments with answers, notes, scores and report files'
    metadata, the audit events about them, and who has seen their answers."""
    membership = Membership.objects.select_related("organisation").filter(user=user).first()
    assessments = Assessment.objects.filter(user=user).select_related("pack").order_by("created_at")
    events = AuditEvent.objects.filter(subject=user) | AuditEvent.objects.filter(actor=user)
    data = {
        "format": EXPORT_FORMAT,
        "exported_at": _iso(timezone.now()),
        "account": {
            "id": str(user.public_id),
            "email": user.email,
            "full_name": user.full_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "is_active": user.is_active,
            "second_factors": [
                {
                    "type": authenticator.type,
                    "created_at": _iso(authenticator.created_at),
                    "last_used_at": _iso(authenticator.last_used_at),
                }
                for authenticator in Authenticator.objects.filter(user=user).order_by("created_at")
            ],
        },
        "memberships": [
            {
                "organisation": membership.organisation.name,
                "role": membership.role,
                "audience": membership.audience,
                "since": _iso(membership.created_at),
            }
        ]
        if membership
        else [],
        "invitations": [
            {
                "organisation": invitation.organisation.name,
                "name_given": invitation.full_name,
                "role": invitation.role,
                "sent_at": _iso(invitation.created_at),
                "accepted_at": _iso(invitation.accepted_at),
            }
            for invitation in Invitation.objects.filter(email__iexact=user.email)
            .select_related("organisation")
            .order_by("created_at")
        ],
        "assessments": [_assessment(assessment) for assessment in assessments],
        "activity": [
            {
                "at": _iso(event.occurred_at),
                "by": event.actor_label,
                "action": event.action,
                "outcome": event.outcome,
                "ip_address": event.ip_address,
            }
            for event in events.order_by("occurred_at")
        ],
    }
    data["who_has_seen_your_answers"] = _seen_by(user)
    return data
