"""Model fields shared by the apps."""

from __future__ import annotations

from django.db import models
from django.db.models import lookups

from apps.core.encryption import open_sealed, seal


class EncryptedTextField(models.TextField):
    """Free text about a person, encrypted at rest under the key ring (apps.core.encryption).

    The database holds `enc2:<key id>:<Fernet token>` (or "" for no text); Python code sees
    the plain text. The column cannot be searched or compared by content: only "" (empty)
    is meaningful in a query. `max_length` bounds the plain text, in forms and validation.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None:
            return value
        return open_sealed(value)

    def get_lookup(self, lookup_name):
        # SECURITY/correctness: `contains`, `startswith`, `gt`... would run against the
        # ciphertext and silently find nothing; they are refused (FieldError) instead.
        if lookup_name not in ("exact", "isnull"):
            return None
        return super().get_lookup(lookup_name)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return value
        return seal(value)


@EncryptedTextField.register_lookup
class SealedExact(lookups.Exact):
    """`note=""` works (empty is stored empty); comparing content cannot (each sealing is
    different), so it is refused instead of silently matching nothing."""

    lookup_name = "exact"

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise TypeError("An encrypted field can only be compared with the empty string.")
        return super().get_prep_lookup()
