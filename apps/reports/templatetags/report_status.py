"""`{% report_status assessment %}`: the report status fragment inside another page
(the results page), server-rendered, then kept fresh by htmx while a render is pending."""

from __future__ import annotations

from django import template

from apps.reports.presenters import status_context

register = template.Library()


@register.inclusion_tag("reports/_status.html", takes_context=True)
def report_status(context, assessment) -> dict:
    # The including page has already scoped `assessment` to the signed-in user.
    request = context["request"]
    return {
        **status_context(user=request.user, assessment=assessment),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
