"""Template contexts for the self-assessment pages: selectors' results, shaped for display.

Nothing here decides anything (which answers are allowed, what is visible, how exposure is
scored): that is the services', the selectors' and the scoring engine's business.
"""

from __future__ import annotations

from django.http import Http404
from django.urls import reverse

from apps.accounts.selectors import membership_for_user
from apps.assessments import selectors
from apps.assessments.forms import answer_field, note_field
from apps.assessments.questionnaire import QuestionDef, questionnaire_for
from apps.assessments.results import exposure_rows, results_view, trend_for_user
from apps.catalogue.selectors import pack_list_for_audience
from apps.compliance.selectors import assignment_list_for_member


def _section_url(assessment, section_id: str, control_id: str | None = None) -> str:
    url = reverse("assessments:section", args=[assessment.public_id, section_id])
    return f"{url}#question-{control_id}" if control_id else url


# --- home ---------------------------------------------------------------------------
def pack_for_user_or_404(*, user, public_id):
    """A pack (latest version) meant for the requester's audience; 404 for any other."""
    membership = membership_for_user(user=user)
    if membership is None:
        raise Http404("No such questionnaire.")
    for pack in pack_list_for_audience(audience=membership.audience):
        if pack.public_id == public_id:
            return pack
    raise Http404("No such questionnaire.")


def home_context(*, user) -> dict:
    membership = membership_for_user(user=user)
    assessments = list(selectors.assessment_list_for_user(user=user))
    progress = selectors.progress_for_assessments(assessments=assessments)
    packs = pack_list_for_audience(audience=membership.audience) if membership else []
    pack_slugs = {pack.slug for pack in packs}
    open_by_slug = {}
    for assessment in assessments:
        if not assessment.is_submitted:
            open_by_slug.setdefault(assessment.pack.slug, assessment)
    newest_submitted = {}
    for assessment in assessments:
        if assessment.is_submitted:
            newest_submitted.setdefault(assessment.pack.slug, assessment.pk)
    rows = [
        {
            "assessment": assessment,
            "title": assessment.pack.title,
            "version": assessment.pack.version,
            "progress": progress.get(assessment.pk),
            # Reassess the newest submitted one, when no other is already under way.
            "can_reassess": assessment.is_submitted
            and newest_submitted.get(assessment.pack.slug) == assessment.pk
            and assessment.pack.slug not in open_by_slug
            and assessment.pack.slug in pack_slugs,
        }
        for assessment in assessments
    ]
    return {
        "membership": membership,
        "rows": rows,
        "packs": [
            {
                "pack": pack,
                "open_assessment": open_by_slug.get(pack.slug),
                "done_before": pack.slug in newest_submitted,
                "section_count": getattr(pack, "section_count", None) or 0,
                "question_count": getattr(pack, "control_count", None) or 0,
            }
            for pack in packs
        ],
        "trend": trend_for_user(user=user, assessments=assessments),
        "assignments": assignment_list_for_member(user=user),
    }


# --- section ------------------------------------------------------------------------
def _section_nav(assessment, state, section_id: str) -> list[dict]:
    """Every section that can apply to the person, numbered from the start; those their
    answers have ruled out stay in the list, marked, so the count never changes."""
    # One reverse() for all sections: this runs on every answer save.
    pattern = _section_url(assessment, "section-id")
    return [
        {
            "title": s.title,
            "number": s.number,
            "url": pattern.replace("/section-id/", f"/{s.id}/") if s.applies else None,
            "current": s.id == section_id,
            "progress": s.progress,
            "does_not_apply": s.does_not_apply,
        }
        for s in state.all_sections or state.sections
    ]


def _question_item(
    question: QuestionDef,
    *,
    visible: bool,
    answer: str,
    note: str,
    error: str = "",
    saved=False,
    confirmation=None,
    from_last_time=False,
) -> dict:
    return {
        "q": question,
        "visible": visible,
        "answer": answer,
        "note": note,
        "error": error,
        "saved": saved,
        "from_last_time": from_last_time,
        # The IT team's confirmation of this question's answer (AnswerVerification), if any.
        "confirmation": confirmation,
        "confirmed": confirmation is not None
        and not confirmation.is_disputed
        and confirmation.answer_key == answer,
    }


def section_context(
    *, assessment, state, section_id: str, stored: dict, submitted=None, errors=None
) -> dict:
    """The section page. `submitted`/`errors`: a refused whole-section POST to show again."""
    questionnaire = state.questionnaire
    section_def = questionnaire.section(section_id)
    errors = errors or {}
    submitted = submitted or {}
    questions = []
    confirmations = selectors.verification_map(assessment=assessment)
    for control_id in section_def.control_ids:
        question = questionnaire.questions[control_id]
        stored_answer = stored.get(control_id)
        answer, note = submitted.get(
            control_id,
            (
                stored_answer.answer_key if stored_answer else "",
                stored_answer.note if stored_answer else "",
            ),
        )
        questions.append(
            _question_item(
                question,
                visible=control_id in state.visible,
                answer=answer,
                note=note,
                error=errors.get(control_id, ""),
                confirmation=confirmations.get(control_id),
                from_last_time=bool(stored_answer and stored_answer.from_last_time)
                and control_id not in submitted,
            )
        )
    error_list = [
        {
            "anchor": f"answer-{cid}-{questionnaire.questions[cid].options[0].key}"
            if cid in questionnaire.questions
            else "main-content",
            "message": message,
        }
        for cid, message in errors.items()
    ]
    ids = [s.id for s in state.sections]
    previous = state.previous_section(section_id)
    answer_map = selectors.answer_keys(stored)
    return {
        "assessment": assessment,
        "answer_url": reverse("assessments:answer", args=[assessment.public_id]),
        "questionnaire": questionnaire,
        "section": state.section(section_id),
        "section_number": state.section_number(section_id) or ids.index(section_id) + 1,
        "section_count": state.section_count,
        "section_nav": _section_nav(assessment, state, section_id),
        "questions": questions,
        "progress": state.progress,
        # Before any answer every exposure is at its worst: a "100, critical" then says
        # nothing about the person, so the panel asks for a few answers first.
        "panel": {
            "rows": exposure_rows(assessment=assessment, after=answer_map),
            "waiting": not answer_map,
        },
        "errors": error_list,
        "previous_url": _section_url(assessment, previous.id) if previous else None,
        "unconfirmed_here": any(q["from_last_time"] and q["visible"] for q in questions),
        "to_confirm": selectors.unconfirmed_count(
            state=state, carried=[k for k, a in stored.items() if a.from_last_time]
        ),
    }


def answer_saved_context(*, assessment, saved) -> dict:
    """The htmx answer: the answered question, questions whose visibility changed in the
    same section, the live panel (with before -> after) and the progress line."""
    questionnaire = questionnaire_for(assessment.pack)
    question = questionnaire.questions[saved.control_key]
    before_visible = saved.visible_before  # answer_save has just worked it out
    if before_visible is None:
        before_visible = set(
            selectors.visible_control_ids(assessment=assessment, answer_map=saved.before)
        )
    state = selectors.questionnaire_state(assessment=assessment, answer_map=saved.after)
    changed = []
    for control_id in questionnaire.section(question.section_id).control_ids:
        if control_id == saved.control_key:
            continue
        now_visible = control_id in state.visible
        if now_visible != (control_id in before_visible):
            changed.append(
                _question_item(
                    questionnaire.questions[control_id],
                    visible=now_visible,
                    answer=saved.after.get(control_id, ""),
                    note=saved.notes.get(control_id, ""),
                )
            )
    return {
        "assessment": assessment,
        "answer_url": reverse("assessments:answer", args=[assessment.public_id]),
        "primary": _question_item(
            question,
            visible=True,
            answer=saved.after[saved.control_key],
            note=saved.notes.get(saved.control_key, ""),
            saved=True,
            confirmation=saved.confirmation,
        ),
        "changed": changed,
        "progress": state.progress,
        "to_confirm": selectors.unconfirmed_count(state=state, carried=saved.carried),
        "section_nav": _section_nav(assessment, state, question.section_id),
        "panel": {
            "rows": exposure_rows(assessment=assessment, after=saved.after, before=saved.before)
        },
    }


def answer_error_context(*, assessment, control_key: str, message: str, post) -> dict | None:
    """The question again with its error, keeping what the person chose; None when the
    question is unknown (there is no fragment to show then)."""
    questionnaire = questionnaire_for(assessment.pack)
    question = questionnaire.questions.get(control_key)
    if question is None:
        return None
    return {
        "assessment": assessment,
        "answer_url": reverse("assessments:answer", args=[assessment.public_id]),
        "item": _question_item(
            question,
            visible=True,
            answer=post.get(answer_field(control_key), ""),
            note=post.get(note_field(control_key), ""),
            error=message,
            confirmation=selectors.verification_map(
                assessment=assessment, control_keys=[control_key]
            ).get(control_key),
        ),
    }


# --- review -------------------------------------------------------------------------
def review_context(*, assessment) -> dict:
    stored = selectors.answers_for_assessment(assessment=assessment)
    answer_map = selectors.answer_keys(stored)
    state = selectors.questionnaire_state(assessment=assessment, answer_map=answer_map)
    questionnaire = state.questionnaire

    def entry(question):
        return {"q": question, "url": _section_url(assessment, question.section_id, question.id)}

    summary = []
    for section in state.sections:
        entries = []
        for control_id in section.visible_ids:
            question = questionnaire.questions[control_id]
            option = question.option(answer_map.get(control_id, ""))
            stored_answer = stored.get(control_id)
            entries.append(
                {
                    **entry(question),
                    "label": option.label if option else "",
                    "note": stored_answer.note if stored_answer else "",
                    "from_last_time": bool(stored_answer and stored_answer.from_last_time),
                }
            )
        summary.append({"title": section.title, "entries": entries})
    return {
        "assessment": assessment,
        "questionnaire": questionnaire,
        "progress": state.progress,
        "to_confirm": selectors.unconfirmed_count(
            state=state, carried=[k for k, a in stored.items() if a.from_last_time]
        ),
        "unanswered": [entry(q) for q in state.unanswered()],
        "unsure": [
            entry(q) for q in selectors.unsure_questions(state=state, answer_map=answer_map)
        ],
        # Reassessing: answers carried over and not yet confirmed or changed.
        "unconfirmed": [
            entry(questionnaire.questions[control_id])
            for section in state.sections
            for control_id in section.visible_ids
            if stored.get(control_id) and stored[control_id].from_last_time
        ],
        "summary": summary,
    }


# --- results ------------------------------------------------------------------------
def results_context(*, assessment) -> dict:
    return {
        "assessment": assessment,
        **results_view(assessment=assessment),
        "confirmed_answers": confirmed_answers(assessment=assessment),
    }


def confirmed_answers(*, assessment) -> list[dict]:
    """The answers the person's IT team confirmed (still held) and those the person
    disputed, in questionnaire order, for the results page."""
    confirmations = selectors.verification_map(assessment=assessment)
    if not confirmations:
        return []
    questionnaire = questionnaire_for(assessment.pack)
    answers = selectors.answer_keys(selectors.answers_for_assessment(assessment=assessment))
    rows = []
    for section in questionnaire.sections:
        for control_id in section.control_ids:
            confirmation = confirmations.get(control_id)
            if confirmation is None:
                continue
            question = questionnaire.questions[control_id]
            option = question.option(confirmation.answer_key)
            rows.append(
                {
                    "question": question,
                    "answer": option.label if option else confirmation.answer_key,
                    "confirmation": confirmation,
                    "held": not confirmation.is_disputed
                    and answers.get(control_id) == confirmation.answer_key,
                }
            )
    return rows


def dispute_context(*, assessment, control_id: str) -> dict:
    """The dispute page: the question, the answer the IT team confirmed and their evidence."""
    questionnaire = questionnaire_for(assessment.pack)
    question = questionnaire.questions.get(control_id)
    if question is None:
        raise Http404("No such question.")
    confirmation = selectors.verification_map(assessment=assessment).get(control_id)
    option = question.option(confirmation.answer_key) if confirmation else None
    return {
        "assessment": assessment,
        "question": question,
        "confirmation": confirmation,
        "confirmed_answer": option.label if option else "",
        "back_url": _section_url(assessment, question.section_id, control_id),
        "error": "",
        "reason": "",
    }
