"""Writes to a person's assessments: start, answer, submit.

Every entry point (pages, API, commands) goes through these functions. Each checks
policy, writes inside one transaction and leaves nothing changed when it refuses.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from apps.accounts.selectors import membership_for_user
from apps.assessments.models import Answer, AnswerVerification, Assessment
from apps.assessments.questionnaire import questionnaire_for
from apps.assessments.selectors import answer_keys, answers_for_assessment, visible_control_ids
from apps.audit.services import audit_record
from apps.core.upsert import upsert_rows

NOTE_MAX_LENGTH = 2000
VERIFIED_MESSAGE = (
    "Your IT team confirmed this answer. If it is wrong, say why with “Dispute”, then change it."
)


class AssessmentError(Exception):
    """A request the service refuses; the message is fit to show to the person."""

    status_code = 400


class InvalidAnswer(AssessmentError):
    status_code = 400


class InvalidAnswers(AssessmentError):
    """Several answers of one section were refused; `errors` maps control id -> message."""

    status_code = 400

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("Some answers could not be saved.")


class AssessmentLocked(AssessmentError):
    status_code = 409

    def __init__(
        self, message: str = "This assessment has been submitted and can no longer change."
    ):
        super().__init__(message)


class NotPermitted(AssessmentError):
    status_code = 403


def _require_owner(*, actor, assessment: Assessment) -> None:
    # SECURITY: only the person assessed writes to an assessment. Views already fetch it
    # through the scoped selector; this guards every other caller. 404, not 403: an
    # outsider must not learn that the assessment exists.
    if not getattr(actor, "is_authenticated", False) or assessment.user_id != actor.pk:
        raise Http404("No such assessment.")


def assessment_start(*, actor, pack) -> Assessment:
    """Start (or carry on) `actor`'s assessment against `pack`.

    The pack must fit the audience of the actor's membership. If the actor already has an
    unsubmitted assessment of the same pack, that one is returned instead of a duplicate
    (a double click on "Start" must not leave two half-done assessments).
    """
    membership = membership_for_user(user=actor)
    if membership is None:
        raise NotPermitted("You need to belong to an organisation to start an assessment.")
    if membership.audience not in (pack.audiences or []):
        raise NotPermitted("This questionnaire is not meant for your role.")
    with transaction.atomic():
        open_one = (
            Assessment.objects.select_for_update()
            .filter(user=actor, pack__slug=pack.slug)
            .exclude(status=Assessment.Status.SUBMITTED)
            .order_by("-created_at")
            .first()
        )
        if open_one is not None:
            return open_one
        assessment = Assessment.objects.create(
            user=actor,
            organisation=membership.organisation,
            pack=pack,
            audience=membership.audience,
        )
        audit_record(
            actor=actor,
            action="assessment.start",
            organisation=membership.organisation,
            subject=actor,
            obj=assessment,
            detail={"pack": pack.label},
        )
    return assessment


def assessment_reassess(*, actor, assessment: Assessment) -> Assessment:
    """A fresh assessment after a submitted one, on the newest version of the same pack.

    The submitted assessment, its answers and score stay as they were: the history is what
    the trend on the home page is drawn from.
    """
    from apps.catalogue.selectors import pack_get

    _require_owner(actor=actor, assessment=assessment)
    if not assessment.is_submitted:
        raise InvalidAnswer("Finish and submit this assessment before starting a new one.")
    try:
        pack = pack_get(slug=assessment.pack.slug)
    except Http404:
        pack = assessment.pack
    fresh = assessment_start(actor=actor, pack=pack)
    _carry_over_answers(source=assessment, target=fresh)
    return fresh


def _carry_over_answers(*, source: Assessment, target: Assessment) -> int:
    """Start from the last submitted answers, each marked "from last time" until the
    person confirms or changes it. Answers the target's pack version no longer has (a
    question removed, an answer option renamed) are left out: they are asked afresh."""
    if target.answers.exists():
        return 0  # an assessment already under way keeps what it has
    known = {
        str(control["id"]): {str(a["key"]) for a in control.get("answers") or ()}
        for section in target.pack.content.get("sections", ())
        for control in section.get("controls", ())
    }
    standard = {"yes", "partly", "no", "unsure", "na"}
    rows = [
        Answer(
            assessment=target,
            control_key=answer.control_key,
            answer_key=answer.answer_key,
            note=answer.note,
            from_last_time=True,
        )
        for answer in source.answers.all()
        if answer.control_key in known
        and answer.answer_key in (known[answer.control_key] or standard)
    ]
    Answer.objects.bulk_create(rows)
    return len(rows)


def _lock_for_answers(*, assessment: Assessment, section_id: str, now) -> None:
    """Mark the assessment in progress, or refuse if it was submitted meanwhile.

    One conditional UPDATE: it is the lock check and, on PostgreSQL, takes the row lock that
    serialises concurrent saves against a concurrent submit.
    """
    changed = (
        Assessment.objects.filter(pk=assessment.pk)
        .exclude(status=Assessment.Status.SUBMITTED)
        .update(status=Assessment.Status.IN_PROGRESS, last_section_key=section_id, updated_at=now)
    )
    if not changed:
        raise AssessmentLocked()


def _upsert(answers: list[Answer], *, keep_notes: bool = False) -> None:
    """INSERT ... ON CONFLICT (assessment, control) DO UPDATE, all rows in one statement
    (apps.core.upsert): last write per question wins, and no IntegrityError when two tabs
    answer the same question at once. Same behaviour on SQLite and PostgreSQL.

    `keep_notes`: a conflicting row keeps its stored note (an API key never writes the
    person's note), so the caller need not read and re-seal every note to write it back.

    Not `bulk_create(update_conflicts=True)`: this is the hottest write in the product,
    and the ORM's statement building cost five times the query. Not one statement per
    answer either: a 40-answer push made 40 round trips.
    """
    # ON CONFLICT cannot touch the same row twice in one statement: last entry wins.
    answers = list({a.control_key: a for a in answers}.values())
    adapt = connection.ops.adapt_datetimefield_value
    # SECURITY: raw SQL skips the field's own conversion: seal the note here (EncryptedTextField).
    seal_note = Answer._meta.get_field("note").get_prep_value
    upsert_rows(
        model=Answer,
        fields=["assessment", "control_key", "answer_key", "note", "updated_at", "from_last_time"],
        rows=[
            (
                a.assessment_id,
                a.control_key,
                a.answer_key,
                seal_note(a.note),
                adapt(a.updated_at),
                False,
            )
            for a in answers
        ],
        conflict=["assessment", "control_key"],
        # Saving an answer confirms it: it is no longer only "from last time".
        update=["answer_key", "updated_at", "from_last_time"]
        if keep_notes
        else ["answer_key", "note", "updated_at", "from_last_time"],
    )


def refuse_overwriting_verified(*, assessment, changes: dict[str, str]) -> None:
    """Raise InvalidAnswers if `changes` (control id -> new answer) would silently replace
    an answer the IT team confirmed. Disputed confirmations no longer hold anything."""
    if not changes:
        return
    held = AnswerVerification.objects.filter(
        assessment=assessment, control_key__in=list(changes), disputed_at__isnull=True
    ).values_list("control_key", "answer_key")
    errors = {key: VERIFIED_MESSAGE for key, verified in held if changes[key] != verified}
    if errors:
        raise InvalidAnswers(errors)


def _clean_note(note) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidAnswer(f"Notes must be {NOTE_MAX_LENGTH} characters or fewer.")
    return note


@dataclass(frozen=True)
class AnswerSaved:
    """What one save changed: the answers before and after (control id -> answer key)."""

    control_key: str
    before: dict[str, str]
    after: dict[str, str]
    notes: dict[str, str]  # every note after the save, by control id
    confirmation: AnswerVerification | None = None  # the IT team's, for `control_key`
    carried: frozenset[str] = frozenset()  # answers still "from last time" after the save
    visible_before: frozenset[str] | None = None  # questions shown before it, if known


def answer_save(
    *, actor, assessment: Assessment, control_key: str, answer_key: str, note: str = ""
) -> AnswerSaved:
    """Save one answer as it is given (last write per question wins).

    Refused, with nothing changed: an unknown question or answer, a question hidden by the
    person's earlier answers or not meant for their audience, an over-long note, and any
    answer to a submitted assessment.
    """
    _require_owner(actor=actor, assessment=assessment)
    questionnaire = questionnaire_for(assessment.pack)
    question = questionnaire.questions.get(control_key)
    if question is None:
        raise InvalidAnswer("That question is not part of this assessment.")
    if question.option(answer_key) is None:
        raise InvalidAnswer(f"Choose one of the answers to “{question.question}”")
    note = _clean_note(note)
    now = timezone.now()
    with transaction.atomic():
        _lock_for_answers(assessment=assessment, section_id=question.section_id, now=now)
        stored = answers_for_assessment(assessment=assessment)
        before = answer_keys(stored)
        visible_before = frozenset(visible_control_ids(assessment=assessment, answer_map=before))
        if control_key not in visible_before:
            raise InvalidAnswer("That question does not apply given your earlier answers.")
        # The IT team's confirmation of this answer, if any: it holds until disputed. At
        # most one row (unique per question), so no ORDER BY to build or run.
        confirmation = next(
            iter(
                AnswerVerification.objects.filter(
                    assessment_id=assessment.pk, control_key=control_key
                ).order_by()[:1]
            ),
            None,
        )
        if (
            confirmation is not None
            and not confirmation.is_disputed
            and confirmation.answer_key != answer_key
        ):
            raise InvalidAnswer(VERIFIED_MESSAGE)
        _upsert(
            [
                Answer(
                    assessment=assessment,
                    control_key=control_key,
                    answer_key=answer_key,
                    note=note,
                    updated_at=now,
                )
            ]
        )
    assessment.status = Assessment.Status.IN_PROGRESS
    assessment.last_section_key = question.section_id
    assessment.updated_at = now
    notes = {key: answer.note for key, answer in stored.items()}
    notes[control_key] = note
    return AnswerSaved(
        control_key=control_key,
        before=before,
        after={**before, control_key: answer_key},
        notes=notes,
        confirmation=confirmation,
        carried=frozenset(k for k, a in stored.items() if a.from_last_time) - {control_key},
        visible_before=visible_before,
    )


def section_answers_save(
    *,
    actor,
    assessment: Assessment,
    section_id: str,
    entries: dict[str, tuple[str, str]],
    confirm: bool = False,
) -> AnswerSaved:
    """Save a whole section at once (the page without JavaScript): control id -> (answer, note).

    Reassessing, an answer carried over from last time stays "from last time" when it is
    sent back unchanged (the radio was simply left as it was), unless `confirm` says the
    person confirmed the whole section; a changed answer is confirmed by the change.

    Every entry is checked first; if any is wrong nothing is saved and `InvalidAnswers`
    says which. Answers to questions that the same submission hides (a changed earlier
    answer) are dropped, as the person could no longer see them.
    """
    _require_owner(actor=actor, assessment=assessment)
    questionnaire = questionnaire_for(assessment.pack)
    section = questionnaire.section(section_id)
    if section is None:
        raise InvalidAnswer("That section is not part of this assessment.")
    errors: dict[str, str] = {}
    cleaned: dict[str, tuple[str, str]] = {}
    for control_key, (answer_key, note) in entries.items():
        question = questionnaire.questions.get(control_key)
        if question is None or question.section_id != section_id:
            errors[control_key] = "That question is not part of this section."
            continue
        if not answer_key:
            if (note or "").strip():
                errors[control_key] = f"Choose an answer to “{question.question}” to save your note"
            continue
        if question.option(answer_key) is None:
            errors[control_key] = f"Choose one of the answers to “{question.question}”"
            continue
        try:
            cleaned[control_key] = (answer_key, _clean_note(note))
        except InvalidAnswer as exc:
            errors[control_key] = str(exc)
    if errors:
        raise InvalidAnswers(errors)
    now = timezone.now()
    with transaction.atomic():
        _lock_for_answers(assessment=assessment, section_id=section_id, now=now)
        stored = answers_for_assessment(assessment=assessment)
        before = answer_keys(stored)
        refuse_overwriting_verified(
            assessment=assessment,
            changes={
                key: value[0]
                for key, value in cleaned.items()
                if key not in stored or stored[key].answer_key != value[0]
            },
        )
        after = {**before, **{key: value[0] for key, value in cleaned.items()}}
        visible = set(visible_control_ids(assessment=assessment, answer_map=after))
        rows = [
            Answer(
                assessment=assessment,
                control_key=key,
                answer_key=answer_key,
                note=note,
                updated_at=now,
            )
            for key, (answer_key, note) in cleaned.items()
            if key in visible
            and (
                key not in stored
                or stored[key].answer_key != answer_key
                or stored[key].note != note
                or (confirm and stored[key].from_last_time)
            )
        ]
        if rows:
            _upsert(rows)
    assessment.status = Assessment.Status.IN_PROGRESS
    assessment.last_section_key = section_id
    assessment.updated_at = now
    after = {**before, **{row.control_key: row.answer_key for row in rows}}
    notes = {key: answer.note for key, answer in stored.items()}
    notes.update({row.control_key: row.note for row in rows})
    return AnswerSaved(control_key="", before=before, after=after, notes=notes)


def assessment_submit(*, actor, assessment: Assessment):
    """Lock the assessment and record its Score, in one transaction. Returns the Score.

    Refused when already submitted or when nothing has been answered.
    """
    from apps.scoring.services import score_counted_refresh, score_record

    _require_owner(actor=actor, assessment=assessment)
    with transaction.atomic():
        current = (
            Assessment.objects.select_for_update().select_related("pack").get(pk=assessment.pk)
        )
        if current.is_submitted:
            raise AssessmentLocked("This assessment has already been submitted.")
        if not Answer.objects.filter(assessment=current).exists():
            raise InvalidAnswer("Answer at least one question before you submit.")
        now = timezone.now()
        current.status = Assessment.Status.SUBMITTED
        current.submitted_at = now
        current.updated_at = now
        current.save(update_fields=["status", "submitted_at", "updated_at"])
        score = score_record(assessment=current)
        # this assessment may now be the one that counts for the person (even when its
        # answers had been scored before, and score_record wrote nothing)
        score_counted_refresh(user_ids=[current.user_id])
        audit_record(
            actor=actor,
            action="assessment.submit",
            organisation=current.organisation,
            subject=actor,
            obj=current,
            detail={"pack": current.pack.label},
        )
        # The report is queued in the same transaction and rendered after it commits (by a
        # worker, or in-process without a broker): a rolled-back submit queues nothing.
        from apps.reports.services import report_queue_for_score

        report_queue_for_score(actor=actor, assessment=current, score=score)
    assessment.status = current.status
    assessment.submitted_at = current.submitted_at
    assessment.updated_at = current.updated_at
    return score
