"""Who is asking when a request carries an API key: the key, acting for its organisation.

DRF puts this object in `request.user` for key requests. It is deliberately not a User:
it has no primary key, belongs to no Membership and so can never pass a check written for
a person (owning an assessment, being an org admin). Services that accept it ask for it
by name (`administers_members_of`), and `audit_record` attributes its actions to the key.
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.api.models import ApiKey, Scope


@dataclass(eq=False)
class ApiKeyActor:
    key: ApiKey

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None
    email = ""

    @property
    def organisation(self):
        return self.key.organisation

    @property
    def organisation_id(self) -> int:
        return self.key.organisation_id

    @property
    def audit_label(self) -> str:
        """How the audit trail names this actor: the key's prefix and name."""
        return f"api-key {self.key.prefix} ({self.key.name})"[:254]

    @property
    def display_name(self) -> str:
        return f"{self.key.organisation.name} IT team ({self.key.name})"

    @property
    def compliance_organisation(self):
        """The organisation whose compliance figures this key reads (apps.compliance
        selectors scope by it); routes check `read:compliance` before asking."""
        return self.key.organisation

    def has_scope(self, scope: str) -> bool:
        return scope in (self.key.scopes or [])

    def administers_members_of(self, organisation) -> bool:
        """# SECURITY: a key with admin:members may invite and revoke invitations for its
        own organisation, and nothing else of an admin's (never roles)."""
        return self.has_scope(Scope.ADMIN_MEMBERS) and organisation.pk == self.key.organisation_id

    def __str__(self) -> str:
        return self.audit_label
