"""Verified answers: what a person's IT team confirms from its own systems, through an
organisation API key, and how the person disputes it.

- `answers_write_verified`: a key (apps/api/principal.py) writes answers to a member's
  open assessment; each carries its source (the key's name) and optional evidence.
- `answers_write_bulk`: the person writes many answers at once (API with a session); a
  verified answer is refused unless it is first disputed.
- `answer_dispute`: the person records that they disagree with a verified answer; after
  that they may change it. The dispute stays on record for the organisation's admins.
- `assessment_start_for_member`: a key starts an assessment for one of its members.

Every write is all-or-nothing: one refused entry and nothing changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from apps.assessments.models import Answer, AnswerVerification, Assessment
from apps.assessments.questionnaire import questionnaire_for
from apps.assessments.selectors import (
    answer_keys,
    answers_for_assessment,
    disputes_for_assessment,
    stored_answer_states,
    visible_control_ids,
)
from apps.assessments.services import (
    AssessmentLocked,
    InvalidAnswer,
    InvalidAnswers,
    NotPermitted,
    _clean_note,
    _lock_for_answers,
    _require_owner,
    _upsert,
    refuse_overwriting_verified,
)
from apps.audit.services import audit_record
from apps.core.upsert import upsert_rows

MAX_ENTRIES = 200
REFERENCE_MAX_LENGTH = 500
DISPUTE_MAX_LENGTH = 1000


@dataclass(frozen=True)
class AnswerEntry:
    """One answer in a bulk write."""

    control_key: str
    answer_key: str
    note: str | None = None  # None: keep the stored note (keys never write notes)
    evidence_reference: str = ""
    evidence_observed_at: datetime | None = None


@dataclass(frozen=True)
class BulkWriteResult:
    saved: list[str]
    skipped: dict[str, str] = field(default_factory=dict)  # control id -> why


def _check_entries(*, assessment, entries: list[AnswerEntry], keep_notes: bool) -> None:
    if not entries:
        raise InvalidAnswer("Send at least one answer.")
    if len(entries) > MAX_ENTRIES:
        raise InvalidAnswer(f"Send at most {MAX_ENTRIES} answers at once.")
    questionnaire = questionnaire_for(assessment.pack)
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for entry in entries:
        question = questionnaire.questions.get(entry.control_key)
        if entry.control_key in seen:
            errors[entry.control_key] = "This question appears more than once."
        elif question is None:
            errors[entry.control_key] = "That question is not part of this assessment."
        elif question.option(entry.answer_key) is None:
            choices = ", ".join(option.key for option in question.options)
            errors[entry.control_key] = f"Not one of the answers to this question: {choices}."
        elif len(entry.evidence_reference or "") > REFERENCE_MAX_LENGTH:
            errors[entry.control_key] = (
                f"Evidence references must be {REFERENCE_MAX_LENGTH} characters or fewer."
            )
        elif entry.evidence_observed_at is not None and entry.evidence_observed_at > timezone.now():
            errors[entry.control_key] = "Evidence cannot be observed in the future."
        elif not keep_notes:
            try:
                _clean_note(entry.note)
            except InvalidAnswer as exc:
                errors[entry.control_key] = str(exc)
        seen.add(entry.control_key)
    if errors:
        raise InvalidAnswers(errors)


def _check_visible(*, assessment, after: dict[str, str], keys) -> None:
    visible = set(visible_control_ids(assessment=assessment, answer_map=after))
    hidden = {
        key: "That question does not apply given the other answers."
        for key in keys
        if key not in visible
    }
    if hidden:
        raise InvalidAnswers(hidden)


def _require_same_organisation(*, actor, assessment: Assessment) -> None:
    # SECURITY: a key reaches only its own organisation's members, and only those still in
    # it (people who left are no longer visible to their former organisation). 404, never
    # a hint that the assessment exists.
    organisation_id = getattr(actor, "organisation_id", None)
    if (
        organisation_id is None
        or not getattr(actor, "audit_label", None)
        or assessment.organisation_id != organisation_id
        or not hasattr(assessment.user, "membership")
        or assessment.user.membership.organisation_id != organisation_id
    ):
        raise Http404("No such assessment.")


_VERIFICATION_FIELDS = (
    "assessment",
    "control_key",
    "answer_key",
    "source",
    "source_name",
    "api_key_public_id",
    "evidence_reference",
    "evidence_observed_at",
    "verified_at",
    "disputed_at",
    "dispute_reason",
)


def _upsert_verifications(*, assessment, key, entries: list[AnswerEntry], now) -> None:
    """Confirm each entry's answer for `assessment` as `key`'s, replacing any earlier
    confirmation (and so any dispute of it), in one statement (apps.core.upsert), for
    the reason `_upsert` does: building the ORM's statement cost more than running it.

    Values go through each field's own conversion, so the evidence is sealed
    (EncryptedTextField) exactly as the ORM would seal it; what every row shares is
    converted once."""
    fields = {name: AnswerVerification._meta.get_field(name) for name in _VERIFICATION_FIELDS}

    def prep(name, value):
        return fields[name].get_db_prep_save(value, connection)

    shared = {
        "source": prep("source", "api"),
        "source_name": prep("source_name", key.name),
        "api_key_public_id": prep("api_key_public_id", key.public_id),
        "verified_at": prep("verified_at", now),
        "disputed_at": prep("disputed_at", None),
        "dispute_reason": prep("dispute_reason", ""),
    }
    upsert_rows(
        model=AnswerVerification,
        fields=_VERIFICATION_FIELDS,
        rows=[
            (
                assessment.pk,
                prep("control_key", e.control_key),
                prep("answer_key", e.answer_key),
                shared["source"],
                shared["source_name"],
                shared["api_key_public_id"],
                prep("evidence_reference", (e.evidence_reference or "").strip()),
                prep("evidence_observed_at", e.evidence_observed_at),
                shared["verified_at"],
                shared["disputed_at"],
                shared["dispute_reason"],
            )
            for e in entries
        ],
        conflict=["assessment", "control_key"],
        update=[name for name in _VERIFICATION_FIELDS if name not in ("assessment", "control_key")],
    )


def answers_write_verified(
    *, actor, assessment: Assessment, entries: list[AnswerEntry]
) -> BulkWriteResult:
    """Write answers confirmed by the organisation's IT team (`actor` is an API key).

    Each answer is stored as the person's answer and marked verified, with the key's name
    and the evidence given. Notes stay the person's own. An answer the person disputed is
    left alone (reported in `skipped`) unless the key now confirms the person's answer.
    """
    _require_same_organisation(actor=actor, assessment=assessment)
    _check_entries(assessment=assessment, entries=entries, keep_notes=True)
    key = actor.key
    now = timezone.now()
    with transaction.atomic():
        _lock_for_answers(assessment=assessment, section_id=assessment.last_section_key, now=now)
        # Answers and confirmations without their encrypted text (notes, evidence): this
        # write neither shows nor changes it, and opening 40 sealed values cost more than
        # the queries.
        stored = stored_answer_states(assessment=assessment)
        before = {control_key: answer_key for control_key, (answer_key, _) in stored.items()}
        disputes = disputes_for_assessment(assessment=assessment)
        skipped: dict[str, str] = {}
        accepted: list[AnswerEntry] = []
        for entry in entries:
            dispute = disputes.get(entry.control_key)
            if dispute is not None and entry.answer_key != before.get(entry.control_key):
                disputed_at, reason = dispute
                skipped[entry.control_key] = (
                    "The person disputed this answer on "
                    f"{timezone.localtime(disputed_at):%d %B %Y}: {reason}"
                )
                continue
            accepted.append(entry)
        after = {**before, **{e.control_key: e.answer_key for e in accepted}}
        _check_visible(assessment=assessment, after=after, keys=[e.control_key for e in accepted])
        # Only answers that change (or confirm one carried over from last time) are
        # written, as when the person saves a section: a nightly sync that confirms the
        # same facts again renews the confirmations below, not the answers.
        changed = [
            e
            for e in accepted
            if e.control_key not in stored
            or stored[e.control_key][0] != e.answer_key
            or stored[e.control_key][1]
        ]
        if changed:
            _upsert(
                [
                    Answer(
                        assessment=assessment,
                        control_key=e.control_key,
                        answer_key=e.answer_key,
                        note="",  # a new row has no note; a stored one keeps its own
                        updated_at=now,
                    )
                    for e in changed
                ],
                keep_notes=True,
            )
        if accepted:
            _upsert_verifications(assessment=assessment, key=key, entries=accepted, now=now)
        audit_record(
            actor=actor,
            action="answers.verified",
            # The key's own organisation, already loaded (the same one, checked above).
            organisation=key.organisation,
            subject=assessment.user,
            obj=assessment,
            detail={
                "controls": [e.control_key for e in accepted],
                "skipped": sorted(skipped),
            },
        )
    return BulkWriteResult(saved=[e.control_key for e in accepted], skipped=skipped)


def answers_write_bulk(
    *, actor, assessment: Assessment, entries: list[AnswerEntry]
) -> BulkWriteResult:
    """The person writes many answers at once (with notes). A confirmed answer cannot be
    changed this way until the person disputes it (`answer_dispute`)."""
    _require_owner(actor=actor, assessment=assessment)
    _check_entries(assessment=assessment, entries=entries, keep_notes=False)
    now = timezone.now()
    with transaction.atomic():
        _lock_for_answers(assessment=assessment, section_id=assessment.last_section_key, now=now)
        stored = answers_for_assessment(assessment=assessment)
        before = answer_keys(stored)
        refuse_overwriting_verified(
            assessment=assessment, changes={e.control_key: e.answer_key for e in entries}
        )
        after = {**before, **{e.control_key: e.answer_key for e in entries}}
        _check_visible(assessment=assessment, after=after, keys=[e.control_key for e in entries])
        _upsert(
            [
                Answer(
                    assessment=assessment,
                    control_key=e.control_key,
                    answer_key=e.answer_key,
                    note=_clean_note(e.note)
                    if e.note is not None
                    else (stored[e.control_key].note if e.control_key in stored else ""),
                    updated_at=now,
                )
                for e in entries
            ]
        )
    return BulkWriteResult(saved=[e.control_key for e in entries])


def answer_dispute(
    *, actor, assessment: Assessment, control_key: str, reason: str
) -> AnswerVerification:
    """The person says a confirmed answer is wrong, and why. Recorded (here and in the audit
    trail, for the organisation's admins); the person may then change the answer."""
    _require_owner(actor=actor, assessment=assessment)
    if assessment.is_submitted:
        raise AssessmentLocked()
    reason = (reason or "").strip()
    if not reason:
        raise InvalidAnswer("Say briefly why this answer is wrong, so your IT team can check.")
    if len(reason) > DISPUTE_MAX_LENGTH:
        raise InvalidAnswer(f"Keep the reason to {DISPUTE_MAX_LENGTH} characters or fewer.")
    with transaction.atomic():
        verification = (
            AnswerVerification.objects.select_for_update()
            .filter(assessment=assessment, control_key=control_key)
            .first()
        )
        if verification is None:
            raise InvalidAnswer("Your IT team has not confirmed this answer.")
        if verification.is_disputed:
            return verification
        verification.disputed_at = timezone.now()
        verification.dispute_reason = reason
        verification.save(update_fields=["disputed_at", "dispute_reason"])
        audit_record(
            actor=actor,
            action="answer.disputed",
            organisation=assessment.organisation,
            subject=actor,
            obj=assessment,
            # SECURITY: not the person's reason. It says what is weak about them, so it is
            # kept encrypted on the confirmation and shown only behind a recorded reason
            # (the disputed answers page); the audit trail, which admins read and export
            # freely, says only that a dispute happened.
            detail={
                "control": control_key,
                "verified_answer": verification.answer_key,
                "source_name": verification.source_name,
            },
        )
    return verification


def assessment_start_for_member(*, actor, membership, pack) -> Assessment:
    """A key starts (or finds the open) assessment of `pack` for one of its members.

    The pack must fit the member's audience, as when the person starts it themselves.
    """
    if membership.organisation_id != getattr(actor, "organisation_id", None) or not getattr(
        actor, "audit_label", None
    ):
        raise Http404("No such member.")
    if membership.audience not in (pack.audiences or []):
        raise NotPermitted("This questionnaire is not meant for this member's role.")
    user = membership.user
    with transaction.atomic():
        open_one = (
            Assessment.objects.select_for_update()
            .filter(user=user, pack__slug=pack.slug)
            .exclude(status=Assessment.Status.SUBMITTED)
            .order_by("-created_at")
            .first()
        )
        if open_one is not None:
            return open_one
        assessment = Assessment.objects.create(
            user=user, organisation=membership.organisation, pack=pack, audience=membership.audience
        )
        audit_record(
            actor=actor,
            action="assessment.start",
            organisation=membership.organisation,
            subject=user,
            obj=assessment,
            detail={"pack": pack.label},
        )
    return assessment
