"""RFC 9457 problem details, the one error format of everything under /api/.

Kept here, below every app, so that refusals made before a view runs (the session and MFA
middleware in apps.accounts) answer in the same shape as the API's own errors
(apps.api.problems, which adds DRF's exception handling on top).
"""

from __future__ import annotations

from django.http import JsonResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://portcullis.invalid/problems/"  # documented in docs/API.md

TITLES = {
    400: "Your request could not be used",
    401: "Authentication needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict with the current state",
    413: "Request too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
}
TYPES = {
    400: "invalid-request",
    401: "not-authenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    415: "unsupported-media-type",
    429: "throttled",
    500: "server-error",
}

# The API's two documentation viewers are pages for a browser: like every other page,
# they send a signed-out person to sign in (and one without MFA to enrolment) rather than
# answering with a problem document.
BROWSER_PAGES_UNDER_API = ("/api/schema/swagger-ui/", "/api/schema/redoc/")


def answers_with_problems(request) -> bool:
    """True for requests whose refusals are problem documents: everything under /api/
    except the documentation viewers."""
    path = request.path
    return path.startswith("/api/") and not path.startswith(BROWSER_PAGES_UNDER_API)


def problem(status_code: int, detail: str, *, instance: str = "", errors=None) -> dict:
    body = {
        "type": TYPE_BASE + TYPES.get(status_code, "error"),
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "instance": instance,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(request, status_code: int, detail: str) -> JsonResponse:
    response = JsonResponse(
        problem(status_code, detail, instance=request.get_full_path()),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    response["Cache-Control"] = "no-store"
    return response
