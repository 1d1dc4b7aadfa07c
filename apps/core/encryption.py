"""The key ring that encrypts secrets and personal free text at rest.

One ring for the whole service: the Fernet keys in `MFA_ENCRYPTION_KEYS` (newest first).
The first key encrypts; every key decrypts. Fernet is AES-128-CBC with HMAC-SHA256, from
`cryptography`.

Two value formats use it:
- `enc1:<token>`, written by `apps.accounts.secrets_at_rest` for second-factor secrets
  (any key in the ring may open it);
- `enc2:<key id>:<token>`, written by `seal`/`open_sealed` for personal free text (answers'
  notes). The key id is the first 8 hex digits of the key's SHA-256: it says which key
  sealed the value, so rotation knows which rows still need re-encrypting without
  trying every key, and an unknown key is named in the error.

Outside production, with no keys configured, one key is generated into
`MFA_ENCRYPTION_KEY_FILE` (under var/, never in git) on first use and reused after, so the
demo keeps working across restarts. Production refuses to start without keys
(config/production_guard.py).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from config.devsecrets import development_secret

SEALED_PREFIX = "enc2:"


class SecretUnreadable(Exception):
    """A stored value that no configured key opens (wrong keys, or tampering)."""


def _development_key(path: Path) -> bytes:
    """The Fernet key in `path`, created on first use."""
    return development_secret(path, Fernet.generate_key)


def key_id(key: str | bytes) -> str:
    """A short, non-secret name for a key: 8 hex digits of its SHA-256."""
    raw = key.encode() if isinstance(key, str) else key
    return hashlib.sha256(raw.strip()).hexdigest()[:8]


@lru_cache(maxsize=1)
def ring() -> tuple[tuple[str, Fernet], ...]:
    """(key id, Fernet) for every configured key, newest (the encrypting one) first."""
    keys = list(settings.MFA_ENCRYPTION_KEYS)
    if not keys:
        if settings.PRODUCTION:  # the production guard stops this first; belt and braces
            raise ImproperlyConfigured("MFA_ENCRYPTION_KEYS is required in production.")
        keys = [_development_key(Path(settings.MFA_ENCRYPTION_KEY_FILE)).decode()]
    try:
        return tuple((key_id(key), Fernet(key)) for key in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each)."
        ) from exc


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in ("MFA_ENCRYPTION_KEYS", "MFA_ENCRYPTION_KEY_FILE"):
        ring.cache_clear()


def is_sealed(value) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def seal(text: str) -> str:
    """`text` encrypted under the newest key, tagged with that key's id. Empty stays empty
    (nothing to hide, and "has a note" stays a plain comparison)."""
    if not text:
        return ""
    kid, fernet = ring()[0]
    return f"{SEALED_PREFIX}{kid}:{fernet.encrypt(text.encode()).decode('ascii')}"


def open_sealed(value: str) -> str:
    """The text `seal` produced. Raises SecretUnreadable for a value no configured key opens."""
    if not value:
        return ""
    # SECURITY: fail closed. Every stored value was sealed (the migration that introduced
    # encryption sealed the earlier ones); anything else is refused rather than shown.
    if not is_sealed(value):
        raise SecretUnreadable("This value is not encrypted; refusing it.")
    kid, _, token = value[len(SEALED_PREFIX) :].partition(":")
    for candidate, fernet in ring():
        if candidate == kid:
            try:
                return fernet.decrypt(token.encode("ascii")).decode()
            except InvalidToken as exc:
                raise SecretUnreadable(f"Key {kid} does not open this value.") from exc
    raise SecretUnreadable(f"Key {kid} is not in MFA_ENCRYPTION_KEYS; this value is unreadable.")


def sealed_key_id(value: str) -> str:
    """The id of the key that sealed `value` ("" for an empty or unsealed value)."""
    if not is_sealed(value):
        return ""
    return value[len(SEALED_PREFIX) :].partition(":")[0]


def needs_resealing(value: str) -> bool:
    """True when `value` is not empty and not sealed under the newest key."""
    return bool(value) and sealed_key_id(value) != ring()[0][0]


def reseal(value: str) -> str:
    """`value` under the newest key (plain text from before encryption is sealed too)."""
    if not value:
        return ""
    if not is_sealed(value):
        return seal(value)
    if not needs_resealing(value):
        return value
    return seal(open_sealed(value))


def encrypted_columns() -> list[tuple[type, str]]:
    """(model, column) for every EncryptedTextField of every installed model."""
    from django.apps import apps

    from apps.core.fields import EncryptedTextField

    return [
        (model, field.column)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def encrypted_fields_reseal() -> int:
    """Put every sealed value of every EncryptedTextField under the newest key.

    Raw SQL on both sides (the field would open the value on read); each row is rewritten
    only if it still holds the value that was read, so a note saved meanwhile (already
    under the newest key) is never overwritten. Returns how many values changed. Raises
    SecretUnreadable, having changed nothing in that row, for a value no key opens.
    """
    from django.db import connection, transaction

    changed = 0
    for model, column in encrypted_columns():
        table = connection.ops.quote_name(model._meta.db_table)
        col = connection.ops.quote_name(column)
        pk = connection.ops.quote_name(model._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {pk}, {col} FROM {table} WHERE {col} <> ''")  # noqa: S608
            rows = [(key, value) for key, value in cursor.fetchall() if needs_resealing(value)]
        for key, value in rows:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {col} = %s WHERE {pk} = %s AND {col} = %s",  # noqa: S608
                    [reseal(value), key, value],
                )
                changed += cursor.rowcount
    return changed


FILE_MAGIC = b"PORTCULLIS-ENC2:"


def seal_bytes(data: bytes) -> bytes:
    """`data` encrypted under the newest key: magic, key id, ":", Fernet token."""
    kid, fernet = ring()[0]
    return FILE_MAGIC + kid.encode("ascii") + b":" + fernet.encrypt(data)


def is_sealed_bytes(data: bytes) -> bool:
    return data.startswith(FILE_MAGIC)


def open_sealed_bytes(data: bytes) -> bytes:
    """The bytes `seal_bytes` produced. Raises SecretUnreadable if no configured key opens them."""
    kid, _, token = data[len(FILE_MAGIC) :].partition(b":")
    for candidate, fernet in ring():
        if candidate.encode("ascii") == kid:
            try:
                return fernet.decrypt(token)
            except InvalidToken as exc:
                raise SecretUnreadable(f"Key {kid.decode()} does not open this file.") from exc
    raise SecretUnreadable(f"Key {kid.decode(errors='replace')} is not in MFA_ENCRYPTION_KEYS.")
