"""Answers' notes become encrypted at rest (apps.core.fields.EncryptedTextField).

The column type is unchanged; the data step seals every existing note under the newest key
of MFA_ENCRYPTION_KEYS, with raw SQL because the model field would refuse to read a plain
note. Reversing opens them again (the keys must still be configured).
"""

from django.db import migrations

import apps.core.fields


def _rewrite(apps, schema_editor, transform, wanted):
    from apps.core.encryption import is_sealed

    Answer = apps.get_model("assessments", "Answer")
    table = schema_editor.quote_name(Answer._meta.db_table)
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, note FROM {table} WHERE note <> ''")  # noqa: S608
        rows = [(pk, note) for pk, note in cursor.fetchall() if is_sealed(note) != wanted]
        for pk, note in rows:
            cursor.execute(
                f"UPDATE {table} SET note = %s WHERE id = %s",  # noqa: S608
                [transform(note), pk],
            )


def seal_notes(apps, schema_editor):
    from apps.core.encryption import seal

    _rewrite(apps, schema_editor, seal, wanted=True)


def open_notes(apps, schema_editor):
    from apps.core.encryption import open_sealed

    _rewrite(apps, schema_editor, open_sealed, wanted=False)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="answer",
            name="note",
            field=apps.core.fields.EncryptedTextField(blank=True, max_length=2000),
        ),
        migrations.RunPython(seal_notes, open_notes),
    ]
