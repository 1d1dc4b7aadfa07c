"""The OpenAPI schema validates (OpenAPI 3 meta-schema) with no generation warning."""

from __future__ import annotations

import yaml
from django.core.management import call_command


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    document = yaml.safe_load(target.read_text())
    assert document["openapi"].startswith("3.")
    assert "/api/v1/assessments/{public_id}/answers/" in document["paths"]
    assert {"apiKey", "session"} <= set(document["components"]["securitySchemes"])
