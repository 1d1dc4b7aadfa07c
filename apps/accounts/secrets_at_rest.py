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

from cryptography.fernet import InvalidToken, MultiFernet

# The ring is shared with personal free text (apps.core.encryption); SecretUnreadable too,
# so one except clause covers both.
from apps.core.encryption import SecretUnreadable, ring

PREFIX = "enc1:"  # marks a value as encrypted here (and by which scheme)

__all__ = ["SecretUnreadable", "decrypt_secret", "encrypt_secret", "reencrypt_secret"]


def _keys():
    return tuple(fernet for _, fernet in ring())


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
