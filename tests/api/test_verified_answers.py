"""Verified answers: what the IT team confirms through a key, the person sees as confirmed,
cannot silently overwrite, and can dispute (recorded and shown to the admin)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from apps.assessments.models import Answer, AnswerVerification
from apps.assessments.services import answer_save, assessment_submit
from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _push(client, assessment, answers):
    return client.post(
        f"/api/v1/assessments/{assessment.public_id}/answers/", {"answers": answers}, format="json"
    )


@pytest.fixture
def confirmed(api, key_a, alice_assessment):
    response = _push(
        api(key_a),
        alice_assessment,
        [
            {
                "control": "T-ACC-01",
                "answer": "yes",
                "evidence": {"reference": "entra:policy/42", "observed_at": "2026-01-05T08:00:00Z"},
            }
        ],
    )
    assert response.status_code == 200, response.json()
    return alice_assessment


def _section_page(client, assessment):
    return client.get(
        reverse("assessments:section", args=[assessment.public_id, "accounts"])
    ).content.decode()


def test_the_person_sees_which_answers_their_it_team_confirmed(client_for, alice, confirmed):
    page = _section_page(client_for(alice), confirmed)
    assert "Confirmed by your IT team" in page
    assert "Org A sync" in page
    assert "entra:policy/42" in page


def test_the_person_cannot_silently_overwrite_a_confirmed_answer(client_for, alice, confirmed):
    client = client_for(alice)
    response = client.post(
        reverse("assessments:answer", args=[confirmed.public_id]),
        {"control": "T-ACC-01", "answer": "no", "note": ""},
    )
    assert response.status_code == 400
    assert "Your IT team confirmed this answer" in response.content.decode()
    assert Answer.objects.get(control_key="T-ACC-01").answer_key == "yes"
    # Nor through the whole-section form, nor the API with a session.
    section = client.post(
        reverse("assessments:section", args=[confirmed.public_id, "accounts"]),
        {"answer-T-ACC-01": "no"},
    )
    assert section.status_code == 400
    assert Answer.objects.get(control_key="T-ACC-01").answer_key == "yes"


def test_a_note_on_a_confirmed_answer_is_still_the_persons(alice, confirmed):
    answer_save(
        actor=alice, assessment=confirmed, control_key="T-ACC-01", answer_key="yes", note="ok"
    )
    assert Answer.objects.get(control_key="T-ACC-01").note == "ok"


def test_a_dispute_is_recorded_shown_to_the_admin_and_frees_the_answer(
    client_for, alice, confirmed, api, key_a, api_session, bob
):
    client = client_for(alice)
    url = reverse("assessments:dispute", args=[confirmed.public_id, "T-ACC-01"])
    assert "Why is this answer wrong?" in client.get(url).content.decode()
    empty = client.post(url, {"reason": "  "})
    assert empty.status_code == 400
    assert not AnswerVerification.objects.get().is_disputed

    response = client.post(url, {"reason": "My personal account has no second factor."})
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="answer.disputed")
    assert event.actor == alice
    # The reason says what is weak about her: encrypted on the confirmation, never copied
    # into the audit trail that admins read and export without giving a reason.
    assert "second factor" not in json.dumps(event.detail)
    stored = AnswerVerification.objects.values_list("dispute_reason", flat=True).get()
    assert stored == "My personal account has no second factor."
    with connection.cursor() as cursor:
        cursor.execute("SELECT dispute_reason FROM assessments_answerverification")
        assert "second factor" not in cursor.fetchone()[0]
    exported = api_session(bob).get("/api/v1/audit-events/").content.decode()
    assert "second factor" not in exported

    # The admin sees it: in the audit trail (API, signed in) and through the key.
    events = api_session(bob).get("/api/v1/audit-events/", {"action": "answer.disputed"})
    assert events.json()["results"][0]["detail"]["control"] == "T-ACC-01"
    answers = api(key_a).get(f"/api/v1/assessments/{confirmed.public_id}/answers/").json()
    assert answers[0]["verified"] is False
    assert answers[0]["verification"]["dispute_reason"].startswith("My personal account")

    # The person may now change it...
    answer_save(actor=alice, assessment=confirmed, control_key="T-ACC-01", answer_key="no")
    # ...and the key's next push of its old answer leaves it alone, saying why.
    again = _push(api(key_a), confirmed, [{"control": "T-ACC-01", "answer": "yes"}])
    assert again.json()["saved"] == []
    assert "disputed" in again.json()["skipped"]["T-ACC-01"]
    assert Answer.objects.get(control_key="T-ACC-01").answer_key == "no"


def test_the_results_page_and_the_report_list_verified_answers(client_for, alice, confirmed):
    from apps.reports.models import RemediationReport
    from apps.reports.rendering import report_document

    assessment_submit(actor=alice, assessment=confirmed)
    page = client_for(alice).get(reverse("assessments:results", args=[confirmed.public_id]))
    assert "Answers your IT team confirmed" in page.content.decode()
    report = RemediationReport.objects.get(assessment=confirmed)
    document = report_document(report)
    assert document["verified_count"] == 1
    rows = [row for s in document["answer_sections"] for row in s["rows"] if row["verified"]]
    assert rows[0]["id"] == "T-ACC-01"
    assert rows[0]["verified"].source_name == "Org A sync"


def test_keys_cannot_write_to_a_submitted_assessment(api, key_a, alice, confirmed):
    assessment_submit(actor=alice, assessment=confirmed)
    response = _push(api(key_a), confirmed, [{"control": "T-ACC-02", "answer": "yes"}])
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    # The refused write leaves no answer behind, and its refusal is on record.
    assert not Answer.objects.filter(control_key="T-ACC-02").exists()
    event = AuditEvent.objects.filter(action="api.request").latest("occurred_at")
    assert (event.outcome, event.detail["status"]) == ("denied", 409)


def test_keys_never_see_the_persons_notes(api, key_a, alice, alice_assessment):
    answer_save(
        actor=alice,
        assessment=alice_assessment,
        control_key="T-ACC-01",
        answer_key="no",
        note="Password on a sticky note",
    )
    body = api(key_a).get(f"/api/v1/assessments/{alice_assessment.public_id}/answers/")
    assert "sticky" not in body.content.decode()


def test_a_person_writes_their_own_answers_in_bulk(api_session, alice, alice_assessment):
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    client = api_session(alice)
    token = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    response = client.post(
        f"/api/v1/assessments/{alice_assessment.public_id}/answers/",
        {"answers": [{"control": "T-ACC-01", "answer": "no", "note": "check"}]},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
    answer = Answer.objects.get()
    assert (answer.answer_key, answer.note) == ("no", "check")
    assert not AnswerVerification.objects.exists()


def test_a_keys_push_keeps_the_persons_note_and_renews_the_evidence(
    api, key_a, alice, alice_assessment
):
    answer_save(
        actor=alice,
        assessment=alice_assessment,
        control_key="T-ACC-01",
        answer_key="no",
        note="Only on my work account",
    )
    first = _push(
        api(key_a),
        alice_assessment,
        [{"control": "T-ACC-01", "answer": "yes", "evidence": {"reference": "entra:1"}}],
    )
    assert first.status_code == 200, first.json()
    answer = Answer.objects.get(control_key="T-ACC-01")
    assert (answer.answer_key, answer.note) == ("yes", "Only on my work account")
    confirmed_at = AnswerVerification.objects.get().verified_at

    # The nightly sync confirms the same answer again with newer evidence.
    again = _push(
        api(key_a),
        alice_assessment,
        [{"control": "T-ACC-01", "answer": "yes", "evidence": {"reference": "entra:2"}}],
    )
    assert again.json() == {"saved": ["T-ACC-01"], "skipped": {}}
    verification = AnswerVerification.objects.get()
    assert verification.evidence_reference == "entra:2"
    assert verification.verified_at > confirmed_at
    assert Answer.objects.get(control_key="T-ACC-01").note == "Only on my work account"


def test_a_bulk_push_costs_the_same_queries_for_one_answer_or_eighty(api, key_a, alice):
    from apps.assessments.services import assessment_start
    from apps.catalogue.services import pack_load_data
    from tests.assessments.conftest import large_pack_data

    pack = pack_load_data(large_pack_data(extra_controls=150)).pack
    assessment = assessment_start(actor=alice, pack=pack)
    controls = [f"X-AA{'ABCD'[n // 100]}-{n % 100:02d}" for n in range(150)]
    client = api(key_a)

    def push(keys, answer):
        entries = [
            {"control": k, "answer": answer, "evidence": {"reference": f"mdm:{k}"}} for k in keys
        ]
        response = _push(client, assessment, entries)
        assert response.status_code == 200, response.json()
        return response

    push(controls[:1], "no")  # warm the caches (questionnaire, compiled pack)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        push(controls[1:2], "yes")
    # 80 rows fit one statement on SQLite too (its 999 bound parameters); on PostgreSQL a
    # whole 200-answer push does.
    with CaptureQueriesContext(connection) as many:
        push(controls[:80], "yes")
    assert len(many) == len(one)
    assert Answer.objects.filter(assessment=assessment, answer_key="yes").count() == 80
    assert AnswerVerification.objects.filter(assessment=assessment).count() == 80
    # Beyond that, the rows are split, and all of them land.
    push(controls, "yes")
    assert Answer.objects.filter(assessment=assessment, answer_key="yes").count() == 150
    assert AnswerVerification.objects.filter(assessment=assessment).count() == 150
