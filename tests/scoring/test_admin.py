"""Scores are visible to platform staff in the admin and cannot be changed there."""

from __future__ import annotations

import pytest

from apps.scoring.services import score_record

pytestmark = pytest.mark.django_db


def test_staff_can_read_scores_but_not_add_change_or_delete(
    client_for, staff, small_pack, assessment_with
):
    score = score_record(assessment=assessment_with(small_pack, {"A": "yes"}))
    client = client_for(staff)

    listing = client.get("/admin/scoring/score/")
    assert listing.status_code == 200
    assert str(score.public_id) in listing.content.decode()
    detail = client.get(f"/admin/scoring/score/{score.pk}/change/")
    assert detail.status_code == 200
    assert client.get("/admin/scoring/score/add/").status_code == 403
    assert (
        client.post(f"/admin/scoring/score/{score.pk}/delete/", {"post": "yes"}).status_code == 403
    )
    score.refresh_from_db()


def test_members_cannot_open_the_scores_admin(client_for, alice):
    response = client_for(alice).get("/admin/scoring/score/")
    assert response.status_code == 302
