"""The question page and an answer save cost the same few queries whatever the pack size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.assessments import services

# Session, user, assessment + pack, answers, the IT team's confirmations (verified
# answers); the save adds the conditional UPDATE, the upsert and the savepoint/transaction
# statements.
PAGE_QUERY_BUDGET = 7
SAVE_QUERY_BUDGET = 9


def _count(callable_):
    with CaptureQueriesContext(connection) as queries:
        response = callable_()
    assert response.status_code == 200, response.content[:500]
    return len(queries)


def _page_and_save_queries(client, user, pack, answered_controls):
    assessment = services.assessment_start(actor=user, pack=pack)
    for control in answered_controls:
        services.answer_save(
            actor=user, assessment=assessment, control_key=control, answer_key="no"
        )
    page_url = reverse("assessments:section", args=[assessment.public_id, "accounts"])
    answer_url = reverse("assessments:answer", args=[assessment.public_id])
    client.get(page_url)  # warm the session's last-seen stamp and the compiled pack
    page = _count(lambda: client.get(page_url))
    save = _count(
        lambda: client.post(
            answer_url,
            {"control": "T-ACC-01", "answer-T-ACC-01": "yes"},
            HTTP_HX_REQUEST="true",
        )
    )
    return page, save


def test_question_page_and_answer_save_do_not_grow_with_the_pack(
    client, alice, charlie, pack, large_pack, django_assert_max_num_queries
):
    client.force_login(alice)
    small_page, small_save = _page_and_save_queries(client, alice, pack, ["T-ACC-02"])
    client.force_login(charlie)
    extra = [f"X-AAA-{n:02d}" for n in range(60)]
    large_page, large_save = _page_and_save_queries(
        client, charlie, large_pack, ["T-ACC-02", *extra]
    )

    assert large_page == small_page
    assert large_save == small_save
    assert small_page <= PAGE_QUERY_BUDGET
    assert small_save <= SAVE_QUERY_BUDGET


@pytest.mark.parametrize("budget", [SAVE_QUERY_BUDGET])
def test_an_answer_save_stays_within_budget(
    client_for, alice, large_pack, django_assert_max_num_queries, budget
):
    client = client_for(alice)
    assessment = services.assessment_start(actor=alice, pack=large_pack)
    url = reverse("assessments:answer", args=[assessment.public_id])
    client.post(url, {"control": "T-ACC-02", "answer-T-ACC-02": "no"}, HTTP_HX_REQUEST="true")
    with django_assert_max_num_queries(budget):
        response = client.post(
            url, {"control": "X-AAB-10", "answer-X-AAB-10": "yes"}, HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
