"""Reads about a person's own assessments, always scoped to that person.

Nobody else's assessment is ever returned: not a colleague's in the same organisation, not
an org admin's view (that goes through the compliance app, with its own audit). The one
exception is at the end: the disputes an org admin reviews (`*_for_admin`), which check
the admin and scope to their organisation themselves; the compliance pages that show
them ask for a reason and record it first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404

from apps.accounts.selectors import membership_for_user
from apps.assessments.models import Answer, AnswerVerification, Assessment
from apps.assessments.questionnaire import QuestionDef, Questionnaire, questionnaire_for
from apps.scoring import engine
from apps.scoring.selectors import compiled_pack_for


def assessment_list_for_user(*, user) -> QuerySet[Assessment]:
    """The requester's own assessments, newest first, with their pack (content deferred)."""
    if not getattr(user, "is_authenticated", False):
        return Assessment.objects.none()
    return (
        Assessment.objects.filter(user=user)
        .select_related("pack")
        .defer("pack__content")
        .order_by("-created_at", "-pk")
    )


def assessment_get_for_user(*, user, public_id) -> Assessment:
    """One of the requester's own assessments; 404 for anyone else's (colleagues included)."""
    try:
        return assessment_list_for_user(user=user).get(public_id=public_id)
    except (Assessment.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404("No such assessment.") from exc


class StoredAnswer(NamedTuple):
    answer_key: str
    note: str
    from_last_time: bool = False  # carried over on reassessing, not yet confirmed


def answers_for_assessment(*, assessment) -> dict[str, StoredAnswer]:
    """Every stored answer of `assessment`, by control id, in one query (no model objects:
    this sits on the answer-save path)."""
    rows = Answer.objects.filter(assessment_id=assessment.pk).values_list(
        "control_key", "answer_key", "note", "from_last_time"
    )
    return {
        control_key: StoredAnswer(answer_key, note, carried)
        for control_key, answer_key, note, carried in rows
    }


def stored_answer_states(*, assessment) -> dict[str, tuple[str, bool]]:
    """control id -> (answer key, carried over from last time) for every stored answer of
    `assessment`, in one query and without the notes (which are encrypted: opening them
    is the cost of a bulk write that never shows them)."""
    rows = Answer.objects.filter(assessment_id=assessment.pk).values_list(
        "control_key", "answer_key", "from_last_time"
    )
    return {control_key: (answer_key, carried) for control_key, answer_key, carried in rows}


def unconfirmed_count(*, state, carried) -> int:
    """How many answers carried over from last time are still to confirm, among the
    questions shown now (`carried`: the control ids stored with `from_last_time`)."""
    return sum(1 for control_id in carried if control_id in state.visible)


def disputes_for_assessment(*, assessment) -> dict[str, tuple]:
    """control id -> (disputed at, reason) for each confirmation of `assessment` that the
    person disputed, in one query (the undisputed ones, usually all, are not loaded)."""
    rows = AnswerVerification.objects.filter(
        assessment_id=assessment.pk, disputed_at__isnull=False
    ).values_list("control_key", "disputed_at", "dispute_reason")
    return {control_key: (disputed_at, reason) for control_key, disputed_at, reason in rows}


def verification_map(*, assessment, control_keys=None) -> dict[str, AnswerVerification]:
    """The IT team's confirmations for this assessment (or these questions of it), by
    control id, in one query."""
    rows = AnswerVerification.objects.filter(assessment_id=assessment.pk)
    if control_keys is not None:
        rows = rows.filter(control_key__in=list(control_keys))
    return {v.control_key: v for v in rows}


def verified_controls(*, assessment, answer_map: dict[str, str]) -> dict[str, AnswerVerification]:
    """Confirmations that still hold: the stored answer is the confirmed one, undisputed."""
    return {
        key: v
        for key, v in verification_map(assessment=assessment).items()
        if not v.is_disputed and answer_map.get(key) == v.answer_key
    }


def answer_keys(answers: dict[str, StoredAnswer]) -> dict[str, str]:
    """The engine's view of answers: control id -> answer key."""
    return {control_id: answer.answer_key for control_id, answer in answers.items()}


def visible_control_ids(*, assessment, answer_map: dict[str, str]) -> list[str]:
    """Controls shown to this person given these answers (audience and applies_if)."""
    compiled = compiled_pack_for(assessment.pack)
    return list(engine.visible_controls(compiled, answer_map, assessment.audience))


@dataclass(frozen=True)
class Progress:
    """How far a person is, counted so that it never drops as questions appear.

    `total` is the most questions there can be for this person (every question for their
    audience, whatever the branching); `done` counts the questions answered plus those an
    answer has shown do not apply (hidden by an earlier answer, and no unanswered question
    can bring them back). Revealing a question never lowers `done` and `total` never moves.
    """

    done: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 100

    @property
    def complete(self) -> bool:
        return self.done >= self.total


@dataclass(frozen=True)
class SectionState:
    """One section as this person sees it now: its visible questions, answered or not."""

    id: str
    title: str
    visible_ids: tuple[str, ...]
    answered_ids: frozenset[str]
    number: int = 0  # 1-based, among every section that can apply to this person
    eligible: int = 0  # the most questions this section can ask of this person
    settled_hidden: int = 0  # of those, hidden by an answer that shows they do not apply

    @property
    def progress(self) -> Progress:
        return Progress(
            done=len(self.answered_ids) + self.settled_hidden,
            total=self.eligible or len(self.visible_ids),
        )

    @property
    def applies(self) -> bool:
        return bool(self.visible_ids)

    @property
    def does_not_apply(self) -> bool:
        """Every question here is hidden, and the answers given settle that for good."""
        return not self.visible_ids and self.settled_hidden == self.eligible

    @property
    def first_unanswered(self) -> str | None:
        for control_id in self.visible_ids:
            if control_id not in self.answered_ids:
                return control_id
        return None


@dataclass(frozen=True)
class QuestionnaireState:
    """Where a person stands in one assessment: what is shown, answered and left to do."""

    questionnaire: Questionnaire
    visible: frozenset[str]
    sections: tuple[SectionState, ...]  # only sections with at least one visible question
    # Every section that can apply to this person (their audience), numbered from 1,
    # including those their answers have hidden: "section 3 of 8" never changes.
    all_sections: tuple[SectionState, ...] = ()

    @property
    def progress(self) -> Progress:
        if self.all_sections:
            return Progress(
                done=sum(s.progress.done for s in self.all_sections),
                total=sum(s.eligible for s in self.all_sections),
            )
        done = sum(len(s.answered_ids) for s in self.sections)
        return Progress(done=done, total=sum(len(s.visible_ids) for s in self.sections))

    @property
    def section_count(self) -> int:
        return len(self.all_sections) or len(self.sections)

    def section_number(self, section_id: str) -> int:
        for section in self.all_sections:
            if section.id == section_id:
                return section.number
        return 0

    def section(self, section_id: str) -> SectionState | None:
        for section in self.sections:
            if section.id == section_id:
                return section
        return None

    def next_section(self, section_id: str) -> SectionState | None:
        ids = [s.id for s in self.sections]
        if section_id in ids:
            index = ids.index(section_id)
            return self.sections[index + 1] if index + 1 < len(ids) else None
        # A section that vanished (branching): the next one in pack order.
        order = {s.id: s.order for s in self.questionnaire.sections}
        current = order.get(section_id, -1)
        for section in self.sections:
            if order[section.id] > current:
                return section
        return None

    def previous_section(self, section_id: str) -> SectionState | None:
        ids = [s.id for s in self.sections]
        if section_id in ids and ids.index(section_id) > 0:
            return self.sections[ids.index(section_id) - 1]
        return None

    def unanswered(self) -> list[QuestionDef]:
        return [
            self.questionnaire.questions[control_id]
            for section in self.sections
            for control_id in section.visible_ids
            if control_id not in section.answered_ids
        ]


def _condition_refs(condition) -> set[int]:
    """The controls (by index) a compiled `applies_if` reads."""
    if condition is None:
        return set()
    op = condition[0]
    if op == "in":
        return {condition[1]}
    if op == "not":
        return _condition_refs(condition[1])
    refs: set[int] = set()
    for inner in condition[1]:
        refs |= _condition_refs(inner)
    return refs


def _settled_hidden(compiled, audience: str, visible: frozenset, answer_map) -> frozenset[str]:
    """Questions for this audience that are hidden and will stay hidden whatever the
    person answers next: every question their condition reads is answered, not asked of
    this person, or itself settled hidden. (A question hidden because the one it depends
    on is still unanswered is not settled: it may yet appear.)"""
    settled: set[str] = set()
    fixed: set[int] = set()
    for control in compiled.controls:
        if audience not in control.audiences:
            fixed.add(control.index)
            continue
        if control.id in visible:
            if control.id in answer_map:
                fixed.add(control.index)
            continue
        if _condition_refs(control.condition) <= fixed:
            settled.add(control.id)
            fixed.add(control.index)
    return frozenset(settled)


def questionnaire_state(*, assessment, answer_map: dict[str, str]) -> QuestionnaireState:
    """Compute what this person sees given `answer_map` (no queries once the pack is cached)."""
    questionnaire = questionnaire_for(assessment.pack)
    compiled = compiled_pack_for(assessment.pack)
    audience = assessment.audience
    visible = frozenset(engine.visible_controls(compiled, answer_map, audience))
    settled = _settled_hidden(compiled, audience, visible, answer_map)
    eligible = frozenset(c.id for c in compiled.controls if audience in c.audiences)
    sections, all_sections = [], []
    for section in questionnaire.sections:
        mine = [c for c in section.control_ids if c in eligible]
        if not mine:
            continue
        shown = tuple(c for c in mine if c in visible)
        state = SectionState(
            id=section.id,
            title=section.title,
            visible_ids=shown,
            answered_ids=frozenset(c for c in shown if c in answer_map),
            number=len(all_sections) + 1,
            eligible=len(mine),
            settled_hidden=sum(1 for c in mine if c in settled),
        )
        all_sections.append(state)
        if shown:
            sections.append(state)
    return QuestionnaireState(
        questionnaire=questionnaire,
        visible=visible,
        sections=tuple(sections),
        all_sections=tuple(all_sections),
    )


@dataclass(frozen=True)
class ResumePoint:
    section_id: str | None  # None: everything answered, go to review
    control_id: str | None


def resume_point(
    *, assessment, state: QuestionnaireState, unconfirmed: Collection[str] = ()
) -> ResumePoint:
    """Exactly where the person left: their last section's first unanswered question, else
    the first unanswered question anywhere, else (reassessing) the first section that still
    has answers from last time to confirm, else the review page."""
    last = state.section(assessment.last_section_key) if assessment.last_section_key else None
    if last is not None and last.first_unanswered:
        return ResumePoint(section_id=last.id, control_id=last.first_unanswered)
    for section in state.sections:
        if section.first_unanswered:
            return ResumePoint(section_id=section.id, control_id=section.first_unanswered)
    for section in state.sections:
        if any(control_id in unconfirmed for control_id in section.visible_ids):
            return ResumePoint(section_id=section.id, control_id=None)
    return ResumePoint(section_id=None, control_id=None)


def unsure_questions(*, state: QuestionnaireState, answer_map: dict[str, str]) -> list[QuestionDef]:
    """Visible questions answered "I'm not sure": the review page's "find out" list."""
    result = []
    for section in state.sections:
        for control_id in section.visible_ids:
            question = state.questionnaire.questions[control_id]
            option = question.option(answer_map.get(control_id, ""))
            if option is not None and option.is_unsure:
                result.append(question)
    return result


def progress_for_assessments(*, assessments) -> dict[int, Progress]:
    """Each assessment's progress (as on its pages), with one query for all answers."""
    by_assessment: dict[int, dict[str, str]] = {a.pk: {} for a in assessments}
    if not by_assessment:
        return {}
    rows = Answer.objects.filter(assessment_id__in=list(by_assessment)).values_list(
        "assessment_id", "control_key", "answer_key"
    )
    for assessment_id, control_key, answer_key in rows:
        by_assessment[assessment_id][control_key] = answer_key
    return {
        assessment.pk: questionnaire_state(
            assessment=assessment, answer_map=by_assessment[assessment.pk]
        ).progress
        for assessment in assessments
    }


# --- disputes, for the organisation's admins ------------------------------------------------


def _admin_organisation_id_or_404(user) -> int:
    # SECURITY: only a person who administers an organisation (never a key: it has no
    # membership), and only theirs. Anyone else learns nothing (404).
    membership = membership_for_user(user=user)
    if membership is None or not membership.is_org_admin or not user.is_active:
        raise Http404("No such page.")
    return membership.organisation_id


def _assessments_of_current_members(organisation_id: int) -> QuerySet[Assessment]:
    # People who left or were deactivated are no longer their former organisation's to see.
    return Assessment.objects.filter(
        organisation_id=organisation_id,
        user__is_active=True,
        user__membership__organisation_id=organisation_id,
    )


def dispute_summaries_for_admin(*, user) -> list[dict]:
    """Who in the admin's organisation disputes answers their IT team confirmed: per
    assessment, the person, the questionnaire, how many open disputes and the latest
    date, newest first. No answers and no reasons: those are behind a recorded reason
    (`disputes_for_admin`). Two queries, whatever the number of people."""
    from django.db.models import Count, Max

    organisation_id = _admin_organisation_id_or_404(user)
    rows = (
        AnswerVerification.objects.filter(
            disputed_at__isnull=False,
            assessment__in=_assessments_of_current_members(organisation_id),
        )
        .values("assessment_id")
        .annotate(disputes=Count("id"), latest=Max("disputed_at"))
    )
    counts = {row["assessment_id"]: row for row in rows}
    assessments = (
        Assessment.objects.filter(pk__in=counts)
        .select_related("user", "pack")
        .defer("pack__content")
    )
    summaries = [
        {
            "assessment": assessment,
            "person": assessment.user,
            "pack_title": assessment.pack.title,
            "disputes": counts[assessment.pk]["disputes"],
            "latest": counts[assessment.pk]["latest"],
        }
        for assessment in assessments
    ]
    summaries.sort(key=lambda row: row["latest"], reverse=True)
    return summaries


def dispute_assessment_for_admin(*, user, public_id) -> Assessment:
    """An assessment (open or submitted) of a current, active member of the admin's
    organisation, whose disputes they may review; 404 for anything else."""
    organisation_id = _admin_organisation_id_or_404(user)
    try:
        return (
            _assessments_of_current_members(organisation_id)
            .select_related("user", "pack", "organisation")
            .get(public_id=public_id)
        )
    except (Assessment.DoesNotExist, ValidationError, ValueError, TypeError) as exc:
        raise Http404("No such assessment.") from exc


def disputes_for_admin(*, assessment) -> list[dict]:
    """The open disputes of `assessment` (from `dispute_assessment_for_admin`), question by
    question in pack order: what the IT team confirmed (answer, key name, evidence) and
    what the person says, with their current answer."""
    questionnaire = questionnaire_for(assessment.pack)
    current = {
        key: answer_key
        for key, (answer_key, _carried) in stored_answer_states(assessment=assessment).items()
    }

    def label(question, answer_key):
        option = question.option(answer_key) if question is not None and answer_key else None
        return option.label if option is not None else (answer_key or "")

    rows = []
    for verification in AnswerVerification.objects.filter(
        assessment_id=assessment.pk, disputed_at__isnull=False
    ):
        question = questionnaire.questions.get(verification.control_key)
        rows.append(
            {
                "control": verification.control_key,
                "order": question.order if question is not None else 10**6,
                "question": question.question if question is not None else verification.control_key,
                "verified_answer": label(question, verification.answer_key),
                "current_answer": label(question, current.get(verification.control_key)),
                "source_name": verification.source_name,
                "evidence_reference": verification.evidence_reference,
                "evidence_observed_at": verification.evidence_observed_at,
                "verified_at": verification.verified_at,
                "disputed_at": verification.disputed_at,
                "dispute_reason": verification.dispute_reason,
            }
        )
    rows.sort(key=lambda row: (row["order"], row["control"]))
    return rows
