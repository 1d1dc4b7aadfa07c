"""The self-assessment pages. Thin: every decision lives in services and selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.assessments import presenters, selectors, services, verification
from apps.assessments.forms import SectionAnswersForm, SingleAnswerForm


def _section_url(assessment, section_id: str, control_id: str | None = None) -> str:
    url = reverse("assessments:section", args=[assessment.public_id, section_id])
    return f"{url}#question-{control_id}" if control_id else url


def _error_page(request, exc: services.AssessmentError, assessment=None) -> HttpResponse:
    return render(
        request,
        "assessments/error.html",
        {"message": str(exc), "assessment": assessment},
        status=exc.status_code,
    )


@require_GET
@login_required
@never_cache
def home(request):
    """The member's home: their assessments, the packs they can start, their trend."""
    return render(request, "assessments/home.html", presenters.home_context(user=request.user))


@require_POST
@login_required
def start(request, pack_id):
    pack = presenters.pack_for_user_or_404(user=request.user, public_id=pack_id)
    try:
        assessment = services.assessment_start(actor=request.user, pack=pack)
    except services.AssessmentError as exc:
        return _error_page(request, exc)
    return redirect("assessments:resume", public_id=assessment.public_id)


@require_POST
@login_required
def reassess(request, public_id):
    previous = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    try:
        assessment = services.assessment_reassess(actor=request.user, assessment=previous)
    except services.AssessmentError as exc:
        return _error_page(request, exc, previous)
    return redirect("assessments:resume", public_id=assessment.public_id)


@require_GET
@login_required
@never_cache
def resume(request, public_id):
    """Take the person exactly where they left off."""
    assessment = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    if assessment.is_submitted:
        return redirect("assessments:results", public_id=assessment.public_id)
    stored = selectors.answers_for_assessment(assessment=assessment)
    answer_map = selectors.answer_keys(stored)
    state = selectors.questionnaire_state(assessment=assessment, answer_map=answer_map)
    point = selectors.resume_point(
        assessment=assessment,
        state=state,
        unconfirmed={key for key, answer in stored.items() if answer.from_last_time},
    )
    if point.section_id is None:
        return redirect("assessments:review", public_id=assessment.public_id)
    return redirect(_section_url(assessment, point.section_id, point.control_id))


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def section(request, public_id, section_id):
    """One section of questions. POST saves the whole section (the page without JavaScript)."""
    assessment = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    if assessment.is_submitted:
        if request.method == "POST":
            return _error_page(request, services.AssessmentLocked(), assessment)
        return redirect("assessments:results", public_id=assessment.public_id)
    stored = selectors.answers_for_assessment(assessment=assessment)
    answer_map = selectors.answer_keys(stored)
    state = selectors.questionnaire_state(assessment=assessment, answer_map=answer_map)
    if state.questionnaire.section(section_id) is None:
        raise Http404("No such section.")
    if state.section(section_id) is None:
        # Every question here is hidden by earlier answers: move on.
        following = state.next_section(section_id)
        if following is None:
            return redirect("assessments:review", public_id=assessment.public_id)
        return redirect(_section_url(assessment, following.id))

    errors: dict[str, str] = {}
    submitted: dict[str, tuple[str, str]] | None = None
    if request.method == "POST":
        form = SectionAnswersForm(request.POST, control_ids=state.section(section_id).visible_ids)
        submitted = form.entries()
        try:
            saved = services.section_answers_save(
                actor=request.user,
                assessment=assessment,
                section_id=section_id,
                entries=submitted,
                confirm=request.POST.get("action") == "confirm",
            )
        except services.InvalidAnswers as exc:
            errors = exc.errors
        except services.AssessmentError as exc:
            return _error_page(request, exc, assessment)
        else:
            after = selectors.questionnaire_state(assessment=assessment, answer_map=saved.after)
            here = after.section(section_id)
            # Questions an answer opened on this visit and still unanswered: stay and show
            # them, with or without JavaScript (htmx may already have saved the answer that
            # opened them, so "visible before this POST" is not enough).
            shown = SectionAnswersForm(
                request.POST, control_ids=state.questionnaire.section(section_id).control_ids
            ).shown_ids()
            on_page = shown if shown is not None else state.visible
            revealed = [
                c
                for c in (here.visible_ids if here else ())
                if c not in on_page and c not in saved.after
            ]
            if revealed:
                messages.info(request, "Your answers opened more questions in this section.")
                return redirect(_section_url(assessment, section_id, revealed[0]))
            if here is not None and here.first_unanswered and request.POST.get("action") == "save":
                return redirect(_section_url(assessment, section_id, here.first_unanswered))
            following = after.next_section(section_id)
            if following is None:
                return redirect("assessments:review", public_id=assessment.public_id)
            return redirect(_section_url(assessment, following.id))

    context = presenters.section_context(
        assessment=assessment,
        state=state,
        section_id=section_id,
        stored=stored,
        submitted=submitted,
        errors=errors,
    )
    return render(request, "assessments/section.html", context, status=400 if errors else 200)


@require_POST
@login_required
@never_cache
def answer(request, public_id):
    """Save one answer as it is given (htmx), and answer with the fragments it changed."""
    assessment = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    form = SingleAnswerForm(request.POST)
    if not form.is_valid():
        exc = services.InvalidAnswer(form.first_error())
        return _answer_error(request, assessment, form.control_key(), exc)
    try:
        saved = services.answer_save(
            actor=request.user,
            assessment=assessment,
            control_key=form.cleaned_data["control"],
            answer_key=form.cleaned_data["answer"],
            note=form.cleaned_data["note"],
        )
    except services.AssessmentError as exc:
        return _answer_error(request, assessment, form.control_key(), exc)
    if not request.htmx:  # a plain POST (no JavaScript): back to the question, saved
        return redirect(_section_url(assessment, assessment.last_section_key, saved.control_key))
    context = presenters.answer_saved_context(assessment=assessment, saved=saved)
    return render(request, "assessments/_answer_saved.html", context)


def _answer_error(request, assessment, control_key: str, exc: services.AssessmentError):
    if request.htmx:
        context = presenters.answer_error_context(
            assessment=assessment, control_key=control_key, message=str(exc), post=request.POST
        )
        if context is not None:
            return render(request, "assessments/_question.html", context, status=exc.status_code)
        return HttpResponse(str(exc), status=exc.status_code, content_type="text/plain")
    return _error_page(request, exc, assessment)


@require_GET
@login_required
@never_cache
def review(request, public_id):
    """Before submitting: what is unanswered, what the person is unsure of."""
    assessment = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    if assessment.is_submitted:
        return redirect("assessments:results", public_id=assessment.public_id)
    return render(
        request, "assessments/review.html", presenters.review_context(assessment=assessment)
    )


@require_POST
@login_required
def submit(request, public_id):
    assessment = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    if assessment.is_submitted:
        # A second press (a double click, or back and submit again): the results are
        # what the person asked for; nothing changes.
        return redirect("assessments:results", public_id=assessment.public_id)
    try:
        services.assessment_submit(actor=request.user, assessment=assessment)
    except services.AssessmentLocked:
        pass  # two presses at once: the other one submitted it
    except services.AssessmentError as exc:
        return _error_page(request, exc, assessment)
    return redirect("assessments:results", public_id=assessment.public_id)


@require_GET
@login_required
@never_cache
def results(request, public_id):
    assessment = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    if not assessment.is_submitted:
        return redirect("assessments:review", public_id=assessment.public_id)
    return render(
        request, "assessments/results.html", presenters.results_context(assessment=assessment)
    )


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def dispute(request, public_id, control_id):
    """The person disputes an answer their IT team confirmed: why it is wrong, recorded for
    the organisation's admins; then they may change it."""
    assessment = selectors.assessment_get_for_user(user=request.user, public_id=public_id)
    if assessment.is_submitted and request.method == "GET":
        return redirect("assessments:results", public_id=assessment.public_id)
    context = presenters.dispute_context(assessment=assessment, control_id=control_id)
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            verification.answer_dispute(
                actor=request.user, assessment=assessment, control_key=control_id, reason=reason
            )
        except services.InvalidAnswer as exc:
            context.update(error=str(exc), reason=reason)
            return render(request, "assessments/dispute.html", context, status=400)
        except services.AssessmentError as exc:
            return _error_page(request, exc, assessment)
        messages.success(
            request,
            "Your dispute is recorded and your organisation's admins can see it. "
            "You can now change this answer.",
        )
        return redirect(context["back_url"])
    return render(request, "assessments/dispute.html", context)
