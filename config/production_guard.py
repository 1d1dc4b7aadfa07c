"""Refuse to start in production mode with insecure settings.

Kept apart from settings.py so the rules can be unit-tested without reloading settings.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5  # the same floor as Django's own deploy check
PROCESS_LOCAL_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    }
)
UNSAFE_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    }
)
KNOWN_BAD_SECRET_PREFIXES = ("dev-insecure-", "django-insecure", "change-me", "changeme", "secret")


class ImproperlyConfiguredForProduction(ImproperlyConfigured):
    """Raised (or printed, by settings.py) with every insecure setting at once."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Refusing to start in production mode:\n  - " + "\n  - ".join(problems))


def check_production_settings(
    *,
    debug: bool,
    secret_key: str,
    allowed_hosts: list[str],
    site_url: str,
    mfa_encryption_keys: list[str],
    celery_broker_url: str,
    cache_backend: str,
    email_backend: str,
    behind_tls_proxy: bool,
    trusted_proxy_count: int,
) -> list[str]:
    """Return one message per insecure setting, each naming the setting to fix."""
    problems = []
    if debug:
        problems.append("DEBUG must be off in production (unset DEBUG or set DEBUG=false).")
    if not secret_key:
        problems.append("SECRET_KEY is missing: set a random value of 50+ characters.")
    elif (
        len(secret_key) < MIN_SECRET_KEY_LENGTH
        or len(set(secret_key)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS
        or secret_key.lower().startswith(KNOWN_BAD_SECRET_PREFIXES)
    ):
        problems.append(
            "SECRET_KEY is a default or too short: set a random value of 50+ characters."
        )
    if not allowed_hosts:
        problems.append("ALLOWED_HOSTS is empty: list the host names this service answers to.")
    elif "*" in allowed_hosts:
        problems.append("ALLOWED_HOSTS must not contain '*' in production.")
    # Emails link to SITE_URL: a wrong or plain-http one sends people somewhere else.
    if not site_url.startswith("https://"):
        problems.append(
            "SITE_URL must be the service's https:// address (emails link to it), "
            "e.g. SITE_URL=https://portcullis.example.org."
        )
    # Without a broker, tasks run inside web requests: reports would hold a web worker for
    # seconds each (an org admin's "regenerate all", for minutes) with no time limit.
    if not celery_broker_url:
        problems.append(
            "CELERY_BROKER_URL is missing: production needs a broker (e.g. "
            "redis://127.0.0.1:6379/0) and `celery -A config worker` beside the web processes."
        )
    # SECURITY: the replay lock on one-time codes and every rate limit live in the cache; a
    # cache private to each process lets a TOTP code be used once per worker.
    if cache_backend in PROCESS_LOCAL_CACHES:
        problems.append(
            "CACHE_URL must name a cache every web process shares (e.g. "
            "CACHE_URL=redis://127.0.0.1:6379/1): one-time codes and rate limits live in it, "
            "and an in-process (locmem), dummy or file cache does not share them."
        )
    # SECURITY: console or file email would put live password-reset and invitation links in
    # logs or on disk; dummy or in-memory email would drop them silently.
    if email_backend in UNSAFE_EMAIL_BACKENDS:
        problems.append(
            "EMAIL_URL must name a mail server (e.g. EMAIL_URL=smtp+tls://user:pass@"
            "smtp.example.org:587): console or file email writes sign-in and reset links "
            "to logs, dummy email drops them."
        )
    # SECURITY: behind a proxy without a count, every client is the proxy's address: one
    # person's failures lock everyone out and audit rows record nobody.
    if behind_tls_proxy and trusted_proxy_count < 1:
        problems.append(
            "TRUSTED_PROXY_COUNT must be 1 or more with BEHIND_TLS_PROXY (the number of "
            "reverse proxies in front, each adding to X-Forwarded-For), or every client "
            "looks like the proxy."
        )
    if not mfa_encryption_keys:
        problems.append(
            "MFA_ENCRYPTION_KEYS is missing: set one or more Fernet keys (comma-separated, "
            "newest first), each made with `python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'`."
        )
    elif not all(_is_fernet_key(key) for key in mfa_encryption_keys):
        problems.append(
            "MFA_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes each)."
        )
    return problems


def _is_fernet_key(key: str) -> bool:
    from cryptography.fernet import Fernet

    try:
        Fernet(key)
    except ValueError:
        return False
    return True
