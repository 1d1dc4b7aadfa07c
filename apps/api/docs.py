"""OpenAPI descriptions shared by every route: the problem responses and the helper
that gives each operation its summary, description and examples."""

from __future__ import annotations

import re

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema

from apps.api.serializers import ProblemSerializer

PROBLEM = "application/problem+json"


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=ProblemSerializer,
        description=description,
        examples=[
            OpenApiExample(
                "Problem",
                value={
                    "type": "https://portcullis.invalid/problems/not-found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "No such assessment.",
                    "instance": "/api/v1/assessments/8d5c.../",
                },
                response_only=True,
            )
        ],
    )


ERRORS = {
    (400, PROBLEM): _problem("The input is wrong; `errors` says where. Nothing changed."),
    (401, PROBLEM): _problem("No valid key or session (revoked and expired keys too)."),
    (403, PROBLEM): _problem("The key lacks the scope, or the person the role."),
    (404, PROBLEM): _problem("Not found, or not yours to see."),
    (429, PROBLEM): _problem("Too many requests: wait for `Retry-After` seconds."),
}


DOCUMENTED_METHODS = ("get", "post", "put", "patch", "delete")


def documented(
    *,
    summary: str,
    description: str,
    response=None,
    example=None,
    request=None,
    request_example=None,
    status: int = 200,
    extra_errors: dict | None = None,
    parameters=None,
):
    """Describe one operation (a view's get/post...): its summary, description, one
    example and its problems. Who may call it is not repeated here: `apply_documentation`
    reads it from the view's `key_scopes` and `person_access`, the rules ApiAccess
    enforces, so the schema cannot drift from them."""
    documentation = {
        "summary": summary,
        "description": description,
        "response": response,
        "example": example,
        "request": request,
        "request_example": request_example,
        "status": status,
        "extra_errors": extra_errors,
        "parameters": parameters,
    }

    def mark(method):
        method._api_documentation = documentation
        return method

    return mark


def apply_documentation(view_class) -> None:
    """extend_schema for each documented method the class defines, with who may call it
    (from `key_scopes` and `person_access`, by HTTP method)."""
    for name in DOCUMENTED_METHODS:
        method = view_class.__dict__.get(name)
        documentation = getattr(method, "_api_documentation", None)
        if documentation is None:
            continue
        verb = name.upper()
        _extend(
            **documentation,
            scope=getattr(view_class, "key_scopes", {}).get(verb),
            people=getattr(view_class, "person_access", {}).get(verb),
        )(method)


def _extend(
    *,
    summary: str,
    description: str,
    response,
    example,
    request,
    request_example,
    status: int,
    extra_errors: dict | None,
    parameters,
    scope: str | None,
    people: str | None,
):
    """extend_schema with our conventions: who may call it, one example, the problems."""
    who = []
    if scope:
        who.append(f"API key scope: `{scope}`." if scope != "*" else "API key: any scope.")
    else:
        who.append("API keys cannot use this route.")
    if people == "member":
        who.append("Signed-in people: their own data.")
    elif people == "org_admin":
        who.append("Signed-in people: organisation admins.")
    else:
        who.append("Signed-in people cannot use this route (keys only).")
    examples = []
    if example is not None:
        examples.append(
            OpenApiExample("Example", value=example, response_only=True, status_codes=[str(status)])
        )
    if request_example is not None:
        examples.append(OpenApiExample("Example request", value=request_example, request_only=True))
    responses = {status: response} if response is not None else {status: None}
    responses.update(ERRORS)
    responses.update(extra_errors or {})
    return extend_schema(
        operation_id=re.sub(r"[^a-z0-9]+", "_", summary.lower()).strip("_"),
        summary=summary,
        description=f"{description}\n\n{' '.join(who)}",
        request=request,
        responses=responses,
        examples=examples,
        parameters=parameters,
    )
