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
