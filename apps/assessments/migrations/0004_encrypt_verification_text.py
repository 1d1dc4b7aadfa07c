"""A verification's evidence reference and the person's dispute reason are encrypted at
rest like answers' notes (apps.core.fields.EncryptedTextField); existing values are sealed."""

from django.db import migrations

import apps.core.fields

COLUMNS = ("evidence_reference", "dispute_reason")


def _rewrite(apps, schema_editor, *, sealing):
    from apps.core.encryption import is_sealed, open_sealed, seal

    model = apps.get_model("assessments", "AnswerVerification")
    table = schema_editor.quote_name(model._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for column in COLUMNS:
            col = schema_editor.quote_name(column)
            cursor.execute(f"SELECT id, {col} FROM {table} WHERE {col} <> ''")  # noqa: S608
            for pk, value in cursor.fetchall():
                if is_sealed(value) == sealing:
                    continue
                cursor.execute(
                    f"UPDATE {table} SET {col} = %s WHERE id = %s",  # noqa: S608
                    [seal(value) if sealing else open_sealed(value), pk],
                )


def seal_values(apps, schema_editor):
    _rewrite(apps, schema_editor, sealing=True)


def open_values(apps, schema_editor):
    _rewrite(apps, schema_editor, sealing=False)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0003_answerverification")]

    operations = [
        migrations.AlterField(
            model_name="answerverification",
            name="evidence_reference",
            field=apps.core.fields.EncryptedTextField(blank=True, max_length=500),
        ),
        migrations.AlterField(
            model_name="answerverification",
            name="dispute_reason",
            field=apps.core.fields.EncryptedTextField(blank=True, max_length=1000),
        ),
        migrations.RunPython(seal_values, open_values),
    ]
