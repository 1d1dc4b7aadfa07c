"""The private storage (report files) from the environment: filesystem or S3-compatible."""

from __future__ import annotations

from pathlib import Path

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from config.storage import ENCRYPTED_FILESYSTEM, S3, private_storage

DEFAULT_ROOT = Path("/srv/portcullis/var/private")


def _config(monkeypatch, **variables) -> dict:
    for name in list(variables):
        monkeypatch.setenv(name, variables[name])
    for name in ("PRIVATE_STORAGE_BACKEND", "PRIVATE_STORAGE_ROOT", "PRIVATE_STORAGE_BUCKET"):
        if name not in variables:
            monkeypatch.delenv(name, raising=False)
    return private_storage(environ.Env(), default_root=DEFAULT_ROOT)


def test_by_default_files_go_to_a_folder_with_no_url(monkeypatch):
    assert _config(monkeypatch) == {
        "BACKEND": ENCRYPTED_FILESYSTEM,
        "OPTIONS": {"location": str(DEFAULT_ROOT), "base_url": None},
    }
    moved = _config(monkeypatch, PRIVATE_STORAGE_ROOT="/data/reports")
    assert moved["OPTIONS"]["location"] == "/data/reports"


def test_an_s3_compatible_bucket_keeps_objects_private(monkeypatch):
    config = _config(
        monkeypatch,
        PRIVATE_STORAGE_BACKEND="s3",
        PRIVATE_STORAGE_BUCKET="portcullis-reports",
        PRIVATE_STORAGE_ENDPOINT_URL="https://s3.example.net",
        PRIVATE_STORAGE_REGION="fr-par",
    )

    assert config["BACKEND"] == S3
    options = config["OPTIONS"]
    assert options["bucket_name"] == "portcullis-reports"
    assert options["endpoint_url"] == "https://s3.example.net"
    assert options["region_name"] == "fr-par"
    assert options["default_acl"] == "private"
    assert options["file_overwrite"] is False
    assert options["querystring_auth"] is True


@pytest.mark.parametrize(
    ("variables", "says"),
    [
        ({"PRIVATE_STORAGE_BACKEND": "s3"}, "PRIVATE_STORAGE_BUCKET"),
        ({"PRIVATE_STORAGE_BACKEND": "ftp"}, "'ftp' is not known"),
    ],
)
def test_an_incomplete_or_unknown_backend_is_refused_by_name(monkeypatch, variables, says):
    with pytest.raises(ImproperlyConfigured, match=says):
        _config(monkeypatch, **variables)
