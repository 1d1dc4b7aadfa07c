"""`manage.py reencrypt_mfa_secrets`: after rotating MFA_ENCRYPTION_KEYS (new key first),
put every stored second-factor secret under the new key; the old key can then be dropped."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.secrets_at_rest import SecretUnreadable
from apps.accounts.services import mfa_secrets_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt TOTP keys and recovery-code seeds under the first MFA_ENCRYPTION_KEYS key."

    def handle(self, *args, **options):
        try:
            changed = mfa_secrets_reencrypt()
        except SecretUnreadable as exc:
            raise CommandError(
                f"{exc} Nothing was changed: keep the old key in MFA_ENCRYPTION_KEYS (after the "
                "new one) until this command has run."
            ) from exc
        self.stdout.write(f"Re-encrypted {changed} authenticator(s) under the first key.")
