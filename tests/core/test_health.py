"""/healthz says the process is up; /readyz says whether it can serve (database, broker)."""

from __future__ import annotations

import socket
from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.test import override_settings


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_needs_no_database_and_no_session(client):
    with mock.patch("django.db.backends.utils.CursorWrapper.execute") as execute:
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    execute.assert_not_called()
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="")
def test_readyz_is_ok_with_the_database_and_the_embedded_broker(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_503_when_the_broker_cannot_be_reached(client):
    with override_settings(CELERY_BROKER_URL=f"redis://127.0.0.1:{_closed_port()}/0"):
        response = client.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["broker"] != "ok"
    assert body["database"] == "ok"


@pytest.mark.django_db
@override_settings(CELERY_BROKER_URL="")
def test_readyz_is_503_when_the_database_cannot_be_reached(client):
    with mock.patch(
        "apps.core.health.connection.cursor", side_effect=OperationalError("no route to host")
    ):
        response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["database"] == "OperationalError"


@pytest.mark.django_db
def test_probes_answer_only_get(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
