"""Encrypt the TOTP keys and recovery-code seeds stored before they were encrypted at rest.

Forward only in effect: reversing leaves the secrets encrypted (the app can no longer read
plaintext ones, so decrypting them back would lock people out).
"""

from django.db import migrations


def encrypt_existing(apps, schema_editor):
    from apps.accounts.secrets_at_rest import reencrypt_authenticator_data

    Authenticator = apps.get_model("mfa", "Authenticator")
    for authenticator in Authenticator.objects.exclude(type="webauthn").iterator():
        data = reencrypt_authenticator_data(authenticator.type, authenticator.data)
        if data != authenticator.data:
            authenticator.data = data
            authenticator.save(update_fields=["data"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("mfa", "0003_authenticator_type_uniq"),
    ]

    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop)]
