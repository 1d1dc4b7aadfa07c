"""The IT person's journey from the README: list, push verified answers, read them back."""

from __future__ import annotations


def test_a_key_starts_an_assessment_and_pushes_verified_answers(api, key_a, alice, pack):
    client = api(key_a)
    members = client.get("/api/v1/members/").json()["results"]
    alice_member = next(m for m in members if m["email"] == "alice@example.org")

    started = client.post(
        "/api/v1/assessments/", {"pack": pack.slug, "member": alice_member["id"]}, format="json"
    )
    assert started.status_code == 201, started.json()
    assessment_id = started.json()["id"]

    written = client.post(
        f"/api/v1/assessments/{assessment_id}/answers/",
        {
            "answers": [
                {
                    "control": "T-ACC-01",
                    "answer": "yes",
                    "evidence": {
                        "reference": "idp:policy/mfa",
                        "observed_at": "2026-01-01T00:00:00Z",
                    },
                }
            ]
        },
        format="json",
    )
    assert written.status_code == 200, written.json()
    assert written.json() == {"saved": ["T-ACC-01"], "skipped": {}}

    answers = client.get(f"/api/v1/assessments/{assessment_id}/answers/").json()
    assert answers[0]["verified"] is True
    assert answers[0]["source"] == "api"
    assert answers[0]["note"] is None
    assert answers[0]["verification"]["source_name"] == "Org A sync"
    assert answers[0]["verification"]["evidence"]["reference"] == "idp:policy/mfa"


def test_a_key_downloads_a_members_report_as_the_readme_says(
    api, key_a, alice, submit, django_capture_on_commit_callbacks
):
    from apps.audit.models import AuditEvent
    from apps.reports.services import report_request

    assessment = submit(alice)
    with django_capture_on_commit_callbacks(execute=True):
        report_request(actor=alice, assessment=assessment)
    client = api(key_a)
    listed = client.get(f"/api/v1/reports/?assessment={assessment.public_id}&status=ready").json()[
        "results"
    ]
    report_id = listed[0]["id"]

    for kind, content_type, magic in (
        ("pdf", "application/pdf", b"%PDF-"),
        ("html", "text/html", b"<!DOCTYPE html>"),
    ):
        response = client.get(f"/api/v1/reports/{report_id}/download/?format={kind}")
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"].startswith(content_type)
        assert response["Content-Disposition"].startswith("attachment;")
        assert f'.{kind}"' in response["Content-Disposition"]
        assert b"".join(response.streaming_content).lstrip()[: len(magic)].lower() == magic.lower()
    assert AuditEvent.objects.filter(action="report.download", subject=alice).count() == 2

    # The default is the PDF; anything else is a clear problem, not a file.
    assert client.get(f"/api/v1/reports/{report_id}/download/")["Content-Type"] == (
        "application/pdf"
    )
    refused = client.get(f"/api/v1/reports/{report_id}/download/?format=docx")
    assert refused.status_code == 400
    assert refused["Content-Type"] == "application/problem+json"
