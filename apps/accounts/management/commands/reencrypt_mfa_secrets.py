"""`manage.py reencrypt_mfa_secrets`: after rotating MFA_ENCRYPTION_KEYS (new key first),
put every stored second-factor secret, encrypted note and report file under the new key;
the old key can then be dropped once it reports 0 for each."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.services import (
    mfa_secrets_reencrypt,
    personal_text_reencrypt,
    private_files_reencrypt,
)
from apps.core.encryption import SecretUnreadable


class Command(BaseCommand):
    help = (
        "Re-encrypt TOTP keys, recovery-code seeds, people's notes and report files under the first "
        "MFA_ENCRYPTION_KEYS key."
    )

    def handle(self, *args, **options):
        try:
            changed = mfa_secrets_reencrypt()
        except SecretUnreadable as exc:
            raise CommandError(
                f"{exc} Nothing was changed: keep the old key in MFA_ENCRYPTION_KEYS (after the "
                "new one) until this command has run."
            ) from exc
        self.stdout.write(f"Re-encrypted {changed} authenticator(s) under the first key.")
        try:
            texts = personal_text_reencrypt()
        except SecretUnreadable as exc:
            raise CommandError(
                f"{exc} Notes no configured key opens were left as they are: keep the old key "
                "in MFA_ENCRYPTION_KEYS (after the new one) until this command reports 0."
            ) from exc
        self.stdout.write(f"Re-encrypted {texts} note(s) under the first key.")
        try:
            files = private_files_reencrypt()
        except SecretUnreadable as exc:
            raise CommandError(
                f"{exc} Report files no configured key opens were left as they are: keep the "
                "old key until this command reports 0."
            ) from exc
        self.stdout.write(f"Re-encrypted {files} report file(s) under the first key.")
