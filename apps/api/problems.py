"""One error format for the whole API: RFC 9457 problem details.

Every error answers `application/problem+json` with `type`, `title`, `status`, `detail`
and `instance`; validation errors add `errors` (field -> messages). The same shape comes
back for 404s on unknown /api/ URLs and for server errors (without internals).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.views import exception_handler

from apps.assessments.services import AssessmentError, InvalidAnswers
from apps.core.problems import (
    PROBLEM_CONTENT_TYPE,
    answers_with_problems,
    problem,
    problem_response,
)
from apps.reports.services import ReportError


def _flatten(detail):
    """DRF error details -> plain strings, keeping the field structure."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(value) for value in detail]
    return str(detail)


def _translate(exc):
    """Our services' refusals -> DRF exceptions with the status they stand for."""
    if isinstance(exc, InvalidAnswers):
        error = exceptions.ValidationError({key: [msg] for key, msg in exc.errors.items()})
        error.problem_detail = str(exc)
        return error
    if isinstance(exc, AssessmentError):
        if exc.status_code == 409:
            error = exceptions.APIException(str(exc))
            error.status_code = 409
            return error
        if exc.status_code == 403:
            return exceptions.PermissionDenied(str(exc))
        return exceptions.ValidationError({"non_field_errors": [str(exc)]})
    if isinstance(exc, ReportError):
        error = exceptions.APIException(str(exc))
        error.status_code = 409
        return error
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return exceptions.ValidationError(exc.message_dict)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def problem_exception_handler(exc, context):
    exc = _translate(exc)
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real bug: Django's 500 handler answers (also as a problem)
    request = context.get("request")
    instance = request.get_full_path() if request is not None else ""
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(data if isinstance(data, dict) else {"non_field_errors": data})
        detail = getattr(exc, "problem_detail", None)
        if detail is None:
            general = errors.get("non_field_errors") if isinstance(errors, dict) else None
            detail = general[0] if general and len(errors) == 1 else "Some of the input is wrong."
        body = problem(response.status_code, detail, instance=instance, errors=errors)
    else:
        detail = data.get("detail", "") if isinstance(data, dict) else str(data)
        body = problem(response.status_code, str(detail), instance=instance)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def api_not_found(request, exception=None):
    """handler404 for /api/ paths; other paths get the site's page."""
    if answers_with_problems(request):
        return problem_response(request, status.HTTP_404_NOT_FOUND, "Not found.")
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def api_server_error(request):
    """handler500: a problem for /api/ paths (never a traceback), the site's page elsewhere."""
    if answers_with_problems(request):
        return problem_response(
            request, status.HTTP_500_INTERNAL_SERVER_ERROR, "Something went wrong on our side."
        )
    from django.views.defaults import server_error

    return server_error(request)


def api_bad_request(request, exception=None):
    """handler400 (a malformed or oversized request Django refused before any view)."""
    if answers_with_problems(request):
        return problem_response(request, status.HTTP_400_BAD_REQUEST, "Bad request.")
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def api_permission_denied(request, exception=None):
    """handler403 for a refusal raised outside DRF's own handling (DRF answers its own)."""
    if answers_with_problems(request):
        detail = str(exception) if exception is not None and str(exception) else "Not allowed."
        return problem_response(request, status.HTTP_403_FORBIDDEN, detail)
    from django.views.defaults import permission_denied

    return permission_denied(request, exception)
