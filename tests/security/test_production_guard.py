"""Production mode refuses to start with insecure settings, naming each one."""

from __future__ import annotations

import pytest

from config.production_guard import check_production_settings
from tests.security.test_headers import production_env, run_manage

GOOD_MFA_KEY = "u7jJ7yJ0Zt0w2bqPWH8Sx4Vb8n2H5K3m9Qy6Xc1Ld0E="  # a Fernet key, for shape only
GOOD_KEY = "k" * 20 + "Zq8#pL2@vN5!xR7$wT3%yU6^aB9&cD1*eF4(gH0)"


def test_good_production_settings_pass():
    assert (
        check_production_settings(
            debug=False,
            secret_key=GOOD_KEY,
            allowed_hosts=["portcullis.example.org"],
            site_url="https://portcullis.example.org",
            mfa_encryption_keys=[GOOD_MFA_KEY],
            celery_broker_url="redis://127.0.0.1:6379/0",
            cache_backend="django.core.cache.backends.redis.RedisCache",
            email_backend="django.core.mail.backends.smtp.EmailBackend",
            behind_tls_proxy=True,
            trusted_proxy_count=1,
        )
        == []
    )


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"debug": True}, "DEBUG"),
        ({"secret_key": ""}, "SECRET_KEY"),
        ({"secret_key": "short"}, "SECRET_KEY"),
        ({"secret_key": "dev-insecure-" + "x" * 60}, "SECRET_KEY"),
        ({"secret_key": "django-insecure-" + "abcdefgh" * 8}, "SECRET_KEY"),
        ({"secret_key": "ab" * 40}, "SECRET_KEY"),
        ({"allowed_hosts": []}, "ALLOWED_HOSTS"),
        ({"allowed_hosts": ["*"]}, "ALLOWED_HOSTS"),
        ({"site_url": ""}, "SITE_URL"),
        ({"site_url": "http://portcullis.example.org"}, "SITE_URL"),
        ({"celery_broker_url": ""}, "CELERY_BROKER_URL"),
        ({"cache_backend": "django.core.cache.backends.locmem.LocMemCache"}, "CACHE_URL"),
        ({"cache_backend": "django.core.cache.backends.dummy.DummyCache"}, "CACHE_URL"),
        ({"email_backend": "django.core.mail.backends.console.EmailBackend"}, "EMAIL_URL"),
        ({"email_backend": "django.core.mail.backends.dummy.EmailBackend"}, "EMAIL_URL"),
        ({"email_backend": "django.core.mail.backends.filebased.EmailBackend"}, "EMAIL_URL"),
        ({"trusted_proxy_count": 0}, "TRUSTED_PROXY_COUNT"),
    ],
)
def test_each_insecure_setting_is_refused_by_name(kwargs, named):
    settings = {
        "debug": False,
        "secret_key": GOOD_KEY,
        "allowed_hosts": ["portcullis.example.org"],
        "site_url": "https://portcullis.example.org",
        "mfa_encryption_keys": [GOOD_MFA_KEY],
        "celery_broker_url": "redis://127.0.0.1:6379/0",
        "cache_backend": "django.core.cache.backends.redis.RedisCache",
        "email_backend": "django.core.mail.backends.smtp.EmailBackend",
        "behind_tls_proxy": True,
        "trusted_proxy_count": 1,
        **kwargs,
    }

    problems = check_production_settings(**settings)

    assert len(problems) == 1
    assert problems[0].startswith(named)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"DEBUG": "true"}, "DEBUG"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "change-me"}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"SITE_URL": "http://portcullis.example.org"}, "SITE_URL"),
        ({"MFA_ENCRYPTION_KEYS": ""}, "MFA_ENCRYPTION_KEYS"),
        ({"CELERY_BROKER_URL": "", "REDIS_URL": ""}, "CELERY_BROKER_URL"),
        # Each of these started a deployment that leaked or shared what it must not
        # (issue 12): the replay lock per process, reset links in the log, every client
        # seen as the proxy.
        ({"CACHE_URL": ""}, "CACHE_URL"),
        ({"CACHE_URL": "locmemcache://"}, "CACHE_URL"),
        ({"EMAIL_URL": ""}, "EMAIL_URL"),
        ({"EMAIL_URL": "consolemail://"}, "EMAIL_URL"),
        ({"EMAIL_URL": "dummymail://"}, "EMAIL_URL"),
        ({"TRUSTED_PROXY_COUNT": ""}, "TRUSTED_PROXY_COUNT"),
        ({"TRUSTED_PROXY_COUNT": "0"}, "TRUSTED_PROXY_COUNT"),
    ],
)
def test_manage_py_refuses_to_start_with_a_clear_message(overrides, named):
    result = run_manage("check", env=production_env(**overrides))

    assert result.returncode != 0
    assert "Refusing to start in production mode" in result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_seed_demo_refuses_to_run_in_production():
    result = run_manage("seed_demo", env=production_env())

    assert result.returncode != 0
    assert "refuses to run in production" in result.stderr
    assert "Traceback" not in result.stderr
