"""Security headers, cookies and deployment settings (SECURITY_TESTS 20)."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.test import override_settings

BASE_DIR = Path(settings.BASE_DIR)


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def production_env(**overrides) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "PORTCULLIS_",
                "DEBUG",
                "SECRET_KEY",
                "ALLOWED_HOSTS",
                "SITE_URL",
                "MFA_",
                "PYTEST",
                "CACHE_URL",
                "EMAIL_URL",
                "BEHIND_TLS_PROXY",
                "TRUSTED_PROXY_COUNT",
            )
        )
        # The browser tests relax Django's async check in their own process; a deployment never does.
        and key != "DJANGO_ALLOW_ASYNC_UNSAFE"
    }
    env.update(
        PORTCULLIS_ENV="production",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64)[:60],
        ALLOWED_HOSTS="portcullis.example.org",
        SITE_URL="https://portcullis.example.org",
        MFA_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
        CACHE_URL="redis://127.0.0.1:6379/1",
        EMAIL_URL="smtp+tls://portcullis:secret@smtp.example.org:587",
        BEHIND_TLS_PROXY="true",
        TRUSTED_PROXY_COUNT="1",
    )
    env.update(overrides)
    return env


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_html_pages_carry_a_strict_csp_and_the_other_security_headers(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    csp = _csp_directives(response["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_error_and_lockout_pages_carry_the_csp_too(client, db):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_pages_for_a_signed_in_person_are_never_cached(client_for, alice):
    response = client_for(alice).get("/")

    assert "no-store" in response["Cache-Control"]


def test_no_template_has_inline_script_style_or_event_handlers():
    inline = re.compile(r"style=|<script(?![^>]*\bsrc=)(?![^>]*application/json)|\son[a-z]+=", re.I)
    offenders = []
    for folder in [BASE_DIR / "templates", *sorted((BASE_DIR / "apps").glob("*/templates"))]:
        for path in folder.rglob("*.html"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if inline.search(line):
                    offenders.append(f"{path.relative_to(BASE_DIR)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.django_db
@override_settings(
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SESSION_COOKIE_SECURE=True,
    CSRF_COOKIE_SECURE=True,
)
def test_over_https_with_production_values_hsts_and_secure_cookies_are_sent(client, alice):
    from tests.security.flows import totp_code

    page = client.get("/accounts/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    csrf_cookie = page.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf_cookie["secure"] and csrf_cookie["samesite"] == "Lax"

    client.post(
        "/accounts/login/",
        {"login": "alice@example.org", "password": "correct horse battery staple"},
        secure=True,
    )
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()}, secure=True)
    session_cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session_cookie["secure"]
    assert session_cookie["httponly"]
    assert session_cookie["samesite"] == "Lax"


def test_production_settings_turn_on_hsts_secure_cookies_and_https():
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({k: getattr(settings, k) for k in ["
        "'DEBUG', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS', "
        "'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_HTTPONLY', 'SESSION_COOKIE_SAMESITE', 'SESSION_COOKIE_NAME', "
        "'CSRF_COOKIE_NAME', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SECURE_REFERRER_POLICY', "
        "'X_FRAME_OPTIONS', 'PASSWORD_HASHERS']}))"
    )
    env = production_env(DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])

    assert values["DEBUG"] is False
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is values["CSRF_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert values["SECURE_REFERRER_POLICY"] == "same-origin"
    assert values["X_FRAME_OPTIONS"] == "DENY"
    assert "MD5" not in values["PASSWORD_HASHERS"][0]


def test_check_deploy_passes_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_a_permissions_policy_allows_webauthn_for_this_site_and_nothing_else(client):
    response = client.get("/accounts/login/")

    policy = dict(part.strip().split("=", 1) for part in response["Permissions-Policy"].split(","))
    assert policy["publickey-credentials-get"] == "(self)"
    assert policy["publickey-credentials-create"] == "(self)"
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert policy[feature] == "()"
