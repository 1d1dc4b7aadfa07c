"""Second-factor secrets are stored encrypted: a database dump alone mints no codes."""

from __future__ import annotations

import importlib
import io
import json
import stat

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from cryptography.fernet import Fernet
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command

from apps.accounts.secrets_at_rest import SecretUnreadable, decrypt_secret, encrypt_secret
from apps.audit.models import AuditEvent
from config.production_guard import check_production_settings
from tests.factories import TEST_TOTP_SECRET
from tests.security.flows import sign_in

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _raw(user, kind=Authenticator.Type.TOTP) -> dict:
    return Authenticator.objects.get(user=user, type=kind).data


def test_the_totp_key_and_recovery_seed_are_not_stored_in_the_clear(alice):
    codes = RecoveryCodes.activate(alice).generate_codes()

    dumped = json.dumps(list(Authenticator.objects.filter(user=alice).values("data")))
    assert TEST_TOTP_SECRET not in dumped
    assert _raw(alice)["secret"].startswith("enc1:")
    seed = _raw(alice, Authenticator.Type.RECOVERY_CODES)["seed"]
    assert seed.startswith("enc1:") and len(seed) > 100
    # ...and yet they work: the codes are stable and the TOTP sign-in goes through.
    assert RecoveryCodes(Authenticator.objects.get(pk=_recovery(alice).pk)).generate_codes() == (
        codes
    )


def _recovery(user):
    return Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)


def test_sign_in_with_an_encrypted_totp_key_works(client, alice):
    response = sign_in(client, alice.email)

    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_secret_that_was_not_encrypted_here_is_refused():
    with pytest.raises(SecretUnreadable):
        decrypt_secret(TEST_TOTP_SECRET)


def test_other_keys_cannot_read_a_secret(settings):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    stored = encrypt_secret("the secret")
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(SecretUnreadable):
        decrypt_secret(stored)


def test_rotation_reencrypts_under_the_new_key_and_the_old_one_can_go(settings, client, alice):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    authenticator = Authenticator.objects.get(user=alice, type=Authenticator.Type.TOTP)
    authenticator.data = {"secret": encrypt_secret(TEST_TOTP_SECRET)}
    authenticator.save()

    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("reencrypt_mfa_secrets")

    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]
    assert decrypt_secret(_raw(alice)["secret"]) == TEST_TOTP_SECRET
    assert sign_in(client, alice.email).status_code == 302
    event = AuditEvent.objects.get(action="mfa.secrets_reencrypted")
    assert event.actor_label == "system" and event.detail["count"] >= 1


def test_rotation_without_the_old_key_changes_nothing_and_says_why(settings, alice, bob):
    before = {a.pk: a.data for a in Authenticator.objects.all()}
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]  # the key the rows are under is not listed

    with pytest.raises(CommandError, match="Nothing was changed"):
        call_command("reencrypt_mfa_secrets")

    assert {a.pk: a.data for a in Authenticator.objects.all()} == before


def test_the_migration_encrypts_secrets_stored_in_the_clear(alice):
    Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).update(
        data={"secret": TEST_TOTP_SECRET}
    )
    migration = importlib.import_module("apps.accounts.migrations.0002_encrypt_mfa_secrets")

    migration.encrypt_existing(django_apps, None)

    stored = _raw(alice)["secret"]
    assert stored.startswith("enc1:") and decrypt_secret(stored) == TEST_TOTP_SECRET


def test_outside_production_a_key_file_is_made_once_and_kept_private(settings, tmp_path):
    settings.MFA_ENCRYPTION_KEYS = []
    settings.MFA_ENCRYPTION_KEY_FILE = tmp_path / "var" / "mfa.key"
    stored = encrypt_secret("the secret")
    key = settings.MFA_ENCRYPTION_KEY_FILE.read_bytes()

    settings.MFA_ENCRYPTION_KEY_FILE = tmp_path / "var" / "mfa.key"  # forget, read again
    assert decrypt_secret(stored) == "the secret"
    assert settings.MFA_ENCRYPTION_KEY_FILE.read_bytes() == key
    assert stat.S_IMODE(settings.MFA_ENCRYPTION_KEY_FILE.stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "var").iterdir()] == ["mfa.key"]


@pytest.mark.parametrize(
    ("keys", "says"), [([], "is missing"), (["not-a-key"], "must be Fernet keys")]
)
def test_production_needs_valid_keys(keys, says):
    problems = check_production_settings(
        debug=False,
        secret_key="k" * 20 + "Zq8#pL2@vN5!xR7$wT3%yU6^aB9&cD1*eF4(gH0)",
        allowed_hosts=["portcullis.example.org"],
        site_url="https://portcullis.example.org",
        mfa_encryption_keys=keys,
        celery_broker_url="redis://127.0.0.1:6379/0",
        cache_backend="django.core.cache.backends.redis.RedisCache",
        email_backend="django.core.mail.backends.smtp.EmailBackend",
        behind_tls_proxy=False,
        trusted_proxy_count=0,
    )

    assert len(problems) == 1
    assert problems[0].startswith("MFA_ENCRYPTION_KEYS") and says in problems[0]


def test_reencrypting_twice_changes_nothing_the_second_time(settings, alice):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    Authenticator.objects.filter(user=alice, type=Authenticator.Type.TOTP).update(
        data={"secret": encrypt_secret(TEST_TOTP_SECRET)}
    )
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("reencrypt_mfa_secrets", stdout=io.StringIO())  # OLD_KEY -> NEW_KEY
    before = _raw(alice)

    out = io.StringIO()
    call_command("reencrypt_mfa_secrets", stdout=out)

    assert "Re-encrypted 0 authenticator(s)" in out.getvalue()
    assert _raw(alice) == before
