"""Error pages and request ids."""

from __future__ import annotations

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(DEBUG=False)
def test_a_missing_page_shows_our_page_without_a_stack_trace(client):
    response = client.get("/accounts/members/../../etc/passwd")

    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "Traceback" not in body and "URLconf" not in body


@override_settings(DEBUG=False)
def test_a_forbidden_page_explains_itself(client_for, alice):
    response = client_for(alice).get("/accounts/members/")

    assert response.status_code == 403
    assert "You do not have permission to see this page" in response.content.decode()


def test_every_response_carries_a_request_id(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"

    forged = client.get("/healthz", HTTP_X_REQUEST_ID="<script>")
    assert forged["X-Request-ID"] != "<script>"
    assert len(forged["X-Request-ID"]) == 32
