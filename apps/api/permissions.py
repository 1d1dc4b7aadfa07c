"""Who may use a route: a key by its scopes, a person by their role.

Each API view declares, per HTTP method:
- `key_scopes`: the scope a key needs (`ANY_SCOPE`: any valid key; absent: keys refused);
- `person_access`: `"member"` (any signed-in person) or `"org_admin"` (absent: refused).
HEAD and OPTIONS count as GET.
"""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from apps.api.principal import ApiKeyActor
from apps.api.selectors import requester_for

ANY_SCOPE = "*"
MEMBER = "member"
ORG_ADMIN = "org_admin"


def _method(request) -> str:
    return "GET" if request.method in ("HEAD", "OPTIONS") else request.method


class ApiAccess(BasePermission):
    message = "You are not allowed to do this."

    def has_permission(self, request, view) -> bool:
        method = _method(request)
        user = request.user
        if isinstance(user, ApiKeyActor):
            scope = getattr(view, "key_scopes", {}).get(method)
            if scope is None:
                self.message = "API keys cannot use this route; sign in as a person."
                return False
            if scope != ANY_SCOPE and not user.has_scope(scope):
                self.message = f"This API key does not have the {scope} scope."
                return False
            return True
        if user is None or not user.is_authenticated:
            return False
        access = getattr(view, "person_access", {}).get(method)
        if access == MEMBER:
            return True
        if access == ORG_ADMIN:
            if requester_for(request).is_org_admin:
                return True
            self.message = "Only organisation admins can do this."
            return False
        self.message = "This route is for organisation API keys."
        return False
