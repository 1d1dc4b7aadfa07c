"""Encryption of the second-factor secrets allauth stores (TOTP keys, recovery-code seeds).

A database dump alone must not let anyone mint someone's one-time codes: the MFA adapter
passes every such secret through `encrypt_secret` before it is saved and `decrypt_secret`
when it is read. Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under the keys
in `MFA_ENCRYPTION_KEYS`: the first key encrypts, every key decrypts, so a key is rotated by
putting a new one first and running `manage.py reencrypt_mfa_secrets`.

Outside production, with no keys configured, one key is generated into
`MFA_ENCRYPTION_KEY_FILE` (under var/, never in git) on first use and reused after, so the
demo's authenticators keep working across restarts. Production refuses to start without
keys (config/production_guard.py).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

PREFIX = "enc1:"  # marks a value as encrypted here (and by which scheme)


class SecretUnreadable(Exception):
    """A stored secret that no configured key opens (wrong keys, or tampering)."""


def _development_key(path: Path) -> bytes:
    """The key in `path`, created atomically on first use (two processes may race)."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".mfa-key-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(Fernet.generate_key())
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):  # another process got there first
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return path.read_bytes().strip()


@lru_cache(maxsize=1)
def _keys() -> tuple[Fernet, ...]:
    keys = list(settings.MFA_ENCRYPTION_KEYS)
    if not keys:
        if settings.PRODUCTION:  # the production guard stops this first; belt and braces
            raise ImproperlyConfigured("MFA_ENCRYPTION_KEYS is required in production.")
        keys = [_development_key(Path(settings.MFA_ENCRYPTION_KEY_FILE)).decode()]
    try:
        return tuple(Fernet(key) for key in keys)
    except ValueError as exc:
        raise ImproperlyConfigured(
            "MFA_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each)."
        ) from exc


@receiver(setting_changed)
def _forget_keys(*, setting, **kwargs):
    if setting in ("MFA_ENCRYPTION_KEYS", "MFA_ENCRYPTION_KEY_FILE"):
        _keys.cache_clear()


def _fernet() -> MultiFernet:
    """Encrypts with the first key, decrypts with any."""
    return MultiFernet(list(_keys()))


def is_encrypted(value: str) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def encrypt_secret(text: str) -> str:
    return PREFIX + _fernet().encrypt(text.encode()).decode("ascii")


def decrypt_secret(value: str) -> str:
    # SECURITY: fail closed. A value without the prefix was not written by this code (the
    # migration encrypted every earlier one), so it is refused rather than trusted.
    if not is_encrypted(value):
        raise SecretUnreadable("This second-factor secret is not encrypted; refusing it.")
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode("ascii")).decode()
    except InvalidToken as exc:
        raise SecretUnreadable("No configured MFA encryption key opens this secret.") from exc


def reencrypt_secret(value: str) -> str:
    """`value` under the first key: unchanged if it already is, encrypted if it was stored
    in the clear (from before encryption), rotated if an older key opens it."""
    if not is_encrypted(value):
        return encrypt_secret(value)
    token = value[len(PREFIX) :].encode("ascii")
    try:
        _keys()[0].decrypt(token)
        return value  # already under the first key
    except InvalidToken:
        pass
    try:
        return PREFIX + _fernet().rotate(token).decode("ascii")
    except InvalidToken as exc:
        raise SecretUnreadable("No configured MFA encryption key opens this secret.") from exc


def reencrypt_authenticator_data(kind: str, data: dict) -> dict:
    """An authenticator's `data` with every secret in it under the first key.

    TOTP keeps its key in "secret"; recovery codes keep a seed in "seed" and, for codes
    carried over from django-allauth's older scheme, the codes themselves in
    "migrated_codes". WebAuthn stores public credentials only: nothing to encrypt.
    """
    data = dict(data)
    if kind == "totp" and "secret" in data:
        data["secret"] = reencrypt_secret(data["secret"])
    elif kind == "recovery_codes":
        if "seed" in data:
            data["seed"] = reencrypt_secret(data["seed"])
        if data.get("migrated_codes") is not None:
            data["migrated_codes"] = [reencrypt_secret(code) for code in data["migrated_codes"]]
    return data
