"""Refused access to a person's object is audited, whatever page refused it.

Every page that names a person's object does so by its UUID, and answers 404 to anyone
who may not see it (apps' selectors). This middleware sees those 404s: when the UUID in the
URL is a real object that belongs to someone other than the requester, it records an
`access.denied` event naming the person, their organisation and the object. Probing for a
UUID that does not exist records nothing (there is nobody to tell).

The objects that belong to a person, by model label: (field holding the person, field
holding their organisation). Labels, not imports: the audit app sits below the others.
"""

from __future__ import annotations

import logging
import uuid

from django.apps import apps
from django.http import Http404

from apps.audit.models import AuditEvent
from apps.audit.services import _denials, audit_record

logger = logging.getLogger(__name__)

PERSONAL_OBJECTS = {
    "assessments.Assessment": ("user", "organisation"),
    "reports.RemediationReport": ("assessment__user", "assessment__organisation"),
    "scoring.Score": ("assessment__user", "assessment__organisation"),
    "accounts.Membership": ("user", "organisation"),
}


def _owner_of(public_id):
    """(model, object, person, organisation) of the personal object with this UUID, or None."""
    for label, (person_path, org_path) in PERSONAL_OBJECTS.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        row = (
            model.objects.filter(public_id=public_id).select_related(person_path, org_path).first()
        )
        if row is None:
            continue
        person, organisation = row, row
        for part in person_path.split("__"):
            person = getattr(person, part)
        for part in org_path.split("__"):
            organisation = getattr(organisation, part)
        return row, person, organisation
    return None


class RefusedAccessAuditMiddleware:
    """Record `access.denied` for a 404 on someone else's object (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _denials.set([])
        try:
            return self.get_response(request)
        finally:
            _denials.reset(token)

    def process_exception(self, request, exception):
        if not isinstance(exception, Http404):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        audit_refused_lookup(actor=user, request=request)
        return None


def audit_refused_lookup(*, actor, request) -> None:
    """Record `access.denied` when the 404 just given to `actor` hid a real personal object
    named by a UUID in the URL that is not the actor's own (see the module docstring).

    The pages reach it through the middleware; the API, whose views turn a 404 into a
    response themselves, calls it from its exception handling with the person or the key
    that asked (a key is never the object's owner)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return
    if _denials.get():
        return  # the service that refused has recorded it already
    for value in match.kwargs.values():
        if not isinstance(value, uuid.UUID):
            continue
        found = _owner_of(value)
        if found is None:
            continue
        obj, person, organisation = found
        if person is not None and actor.pk is not None and person.pk == actor.pk:
            return  # one's own object, refused for another reason (not ready...)
        audit_record(
            actor=actor,
            action="access.denied",
            organisation=organisation,
            subject=person,
            obj=obj,
            outcome=AuditEvent.Outcome.DENIED,
            detail={"path": request.path[:200], "view": match.view_name},
        )
        return
