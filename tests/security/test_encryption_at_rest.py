"""Also worth having (SECURITY_TESTS.md): "a raw SQL read of stored answers and notes shows
no plaintext once encryption is on". Notes are sealed with the key ring, with the id of the
key in each value; report files are sealed too and kept 0600 in 0700 folders."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from cryptography.fernet import Fernet
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection

from apps.assessments.models import Answer
from apps.assessments.selectors import answers_for_assessment
from apps.core.encryption import SecretUnreadable, key_id, open_sealed, seal
from apps.reports.models import RemediationReport
from apps.reports.services import report_request

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
SECRET_NOTE = "Only on my work account."


def _raw_notes() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT note FROM {Answer._meta.db_table}")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def _raw_dump() -> str:
    """Every column of every answer, as the database returns it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Answer._meta.db_table}")  # noqa: S608
        return repr(cursor.fetchall())


def test_a_raw_sql_read_of_answers_shows_no_note_in_the_clear(alice, submit):
    assessment = submit(alice)

    dump = _raw_dump()
    assert SECRET_NOTE not in dump and "office manager" not in dump
    sealed = [note for note in _raw_notes() if note]
    assert len(sealed) == 2 and all(note.startswith("enc2:") for note in sealed)
    # ...and the person still reads her notes.
    stored = answers_for_assessment(assessment=assessment)
    assert stored["T-ACC-01"].note == SECRET_NOTE


def test_each_note_carries_the_id_of_the_key_that_sealed_it(settings, alice, submit):
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]
    submit(alice)

    for note in filter(None, _raw_notes()):
        assert note.split(":")[1] == key_id(NEW_KEY)


def test_another_key_cannot_open_a_note(settings):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    stored = seal(SECRET_NOTE)
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(SecretUnreadable, match=key_id(OLD_KEY)):
        open_sealed(stored)
    with pytest.raises(SecretUnreadable):
        open_sealed(SECRET_NOTE)  # a plain value is refused, not trusted


def test_rotation_reseals_notes_under_the_new_key(settings, alice, submit):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    assessment = submit(alice)

    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    Authenticator.objects.filter(user=alice).delete()  # sealed under the test run's own key
    call_command("reencrypt_mfa_secrets")

    assert {n.split(":")[1] for n in filter(None, _raw_notes())} == {key_id(NEW_KEY)}
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can go
    assert answers_for_assessment(assessment=assessment)["T-ACC-01"].note == SECRET_NOTE


def test_report_files_are_sealed_and_private_on_disk(
    alice, submit, private_storage, django_capture_on_commit_callbacks
):
    private_storage.mkdir(parents=True, exist_ok=True)
    private_storage.chmod(0o755)  # as an older release left it
    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=alice, assessment=assessment)
    report = RemediationReport.objects.get(pk=report.pk)
    assert report.status == RemediationReport.Status.READY, report.error

    for name in (report.pdf_name, report.html_name):
        path = Path(storages["private"].path(name))
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        folder = path.parent
        while True:
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
            if folder == private_storage:
                break
            folder = folder.parent
        on_disk = path.read_bytes()
        assert b"%PDF" not in on_disk[:64] and b"<html" not in on_disk.lower()
        assert b"T-ACC-01" not in on_disk and b"2-step" not in on_disk
    with storages["private"].open(report.pdf_name, "rb") as handle:
        assert handle.read().startswith(b"%PDF-")


def test_a_file_sealed_under_a_dropped_key_is_not_served_as_garbage(settings):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    name = storages["private"].save("reports/x/attempt-1.pdf", ContentFile(b"%PDF-1.7 secret"))
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]

    with pytest.raises(SecretUnreadable):
        storages["private"].open(name, "rb")


def test_rotation_reseals_report_files_and_the_old_key_can_go(settings):
    settings.MFA_ENCRYPTION_KEYS = [OLD_KEY]
    name = storages["private"].save("reports/x/attempt-1.pdf", ContentFile(b"%PDF-1.7 secret"))
    path = Path(storages["private"].path(name))
    assert key_id(OLD_KEY).encode() in path.read_bytes()[:40]

    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("reencrypt_mfa_secrets", stdout=out)

    assert "Re-encrypted 1 report file(s)" in out.getvalue()
    assert key_id(NEW_KEY).encode() in path.read_bytes()[:40]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    settings.MFA_ENCRYPTION_KEYS = [NEW_KEY]
    with storages["private"].open(name, "rb") as handle:
        assert handle.read() == b"%PDF-1.7 secret"


def test_a_query_on_a_note_s_content_is_refused_not_silently_empty(alice, submit):
    from django.core.exceptions import FieldError

    submit(alice)

    assert Answer.objects.exclude(note="").count() == 2  # empty or not still works
    with pytest.raises(TypeError):
        list(Answer.objects.filter(note=SECRET_NOTE))
    with pytest.raises(FieldError):
        list(Answer.objects.filter(note__icontains="work"))


def test_verification_evidence_and_dispute_reasons_are_sealed_too(alice, submit):
    from apps.assessments.models import AnswerVerification

    assessment = submit(alice)
    AnswerVerification.objects.create(
        assessment=assessment,
        control_key="T-ACC-01",
        answer_key="no",
        source_name="Office IT",
        evidence_reference="Intune report for ALICE-LAPTOP-7",
        dispute_reason="That laptop was stolen in March",
    )

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {AnswerVerification._meta.db_table}")  # noqa: S608
        dump = repr(cursor.fetchall())
    assert "ALICE-LAPTOP-7" not in dump and "stolen" not in dump
    stored = AnswerVerification.objects.get(assessment=assessment)
    assert stored.dispute_reason == "That laptop was stolen in March"
