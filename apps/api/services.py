"""Issuing, revoking and checking organisation API keys.

# SECURITY: the key is random (256 bits), shown once, and stored as HMAC-SHA256 under a
# server-side secret with a short visible prefix. Lookups go by prefix, then the digests
# are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.accounts.selectors import membership_for_user, user_is_org_admin_of
from apps.api.models import ApiKey, Scope
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from config.devsecrets import development_secret

KEY_PREFIX = "pcl_"
MAX_LIFETIME = timedelta(days=366)  # "at most a year", leap years included
NAME_MAX_LENGTH = 80
# How stale last_used_at may get before a request writes it again: a busy key does not
# write its own row on every call.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def _hmac_secret() -> bytes:
    configured = getattr(settings, "API_KEY_HMAC_KEY", "")
    if configured:
        return configured.encode()
    if not settings.PRODUCTION:
        # Its own development secret, not one derived from SECRET_KEY: deleting or
        # overriding the development SECRET_KEY must not orphan every issued key.
        return _development_hmac_secret(Path(settings.API_KEY_HMAC_KEY_FILE))
    # Derived from SECRET_KEY when no separate secret is configured (rotating SECRET_KEY
    # then invalidates every API key, which the README says).
    return salted_hmac("portcullis.api.key-digest", "api-keys").digest()


@lru_cache(maxsize=1)
def _development_hmac_secret(path: Path) -> bytes:
    """The development secret in `path` (under var/, never in git), made on first use."""
    return development_secret(path, lambda: secrets.token_hex(32).encode())


@receiver(setting_changed)
def _forget_development_secret(*, setting, **kwargs):
    if setting == "API_KEY_HMAC_KEY_FILE":
        _development_hmac_secret.cache_clear()


def key_digest(raw_key: str) -> str:
    """HMAC-SHA256 of a presented key under the server-side secret, as hex."""
    return hmac.new(_hmac_secret(), raw_key.encode(), hashlib.sha256).hexdigest()


def _new_key() -> tuple[str, str]:
    prefix = KEY_PREFIX + secrets.token_hex(4)
    return prefix, f"{prefix}_{secrets.token_urlsafe(32)}"


def _clean_scopes(scopes) -> list[str]:
    scopes = sorted(set(scopes or []))
    unknown = [s for s in scopes if s not in Scope.values]
    if unknown:
        raise ValidationError({"scopes": f"Unknown scope: {', '.join(unknown)}."})
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one thing this key may do."})
    return scopes


def api_key_issue(*, actor, organisation, name: str, scopes, expires_at) -> tuple[ApiKey, str]:
    """Issue a key for `organisation`; returns the row and the key, which is never
    available again. Only an org admin of that organisation (a person, not a key) may.
    The caller is responsible for the fresh re-authentication (the view requires it).
    """
    # Platform staff administer everything in the admin, but do not mint keys for an
    # organisation they do not belong to: a key acts as that organisation's IT team.
    membership = membership_for_user(user=actor)
    if (
        membership is None
        or not membership.is_org_admin
        or membership.organisation_id != organisation.pk
        or not actor.is_active
    ):
        raise PermissionDenied("Only an admin of this organisation can issue API keys.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the key a name, such as the system that uses it."})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": f"Names must be {NAME_MAX_LENGTH} characters or fewer."})
    scopes = _clean_scopes(scopes)
    now = timezone.now()
    if expires_at is None:
        raise ValidationError({"expires_at": "Choose when the key expires."})
    if expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at > now + MAX_LIFETIME:
        raise ValidationError({"expires_at": "A key can last at most one year."})
    prefix, raw_key = _new_key()
    with transaction.atomic():
        key = ApiKey.objects.create(
            organisation=organisation,
            name=name,
            prefix=prefix,
            digest=key_digest(raw_key),
            scopes=scopes,
            created_by=actor,
            created_at=now,
            expires_at=expires_at,
        )
        audit_record(
            actor=actor,
            action="api_key.issued",
            organisation=organisation,
            obj=key,
            detail={
                "prefix": prefix,
                "name": name,
                "scopes": scopes,
                "expires_at": expires_at.isoformat(),
            },
        )
    return key, raw_key


def api_key_revoke(*, actor, key: ApiKey) -> ApiKey:
    """Revoke a key at once: the next request with it gets 401."""
    if not user_is_org_admin_of(user=actor, organisation=key.organisation):
        raise PermissionDenied("Only an admin of this organisation can revoke its API keys.")
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().select_related("organisation").get(pk=key.pk)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.revoked_by = actor
        key.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="api_key.revoked",
            organisation=key.organisation,
            obj=key,
            detail={"prefix": key.prefix, "name": key.name},
        )
    return key


class KeyRefused(Exception):
    """A presented key that opens nothing; the message is safe to send back."""


def api_key_authenticate(raw_key: str) -> ApiKey:
    """The usable key matching `raw_key`, with its organisation; KeyRefused otherwise.

    A revoked or expired key is refused (and the attempt recorded against its
    organisation); an unknown one is refused alike, without a query by digest alone.
    """
    raw_key = (raw_key or "").strip()
    prefix = raw_key[: len(KEY_PREFIX) + 8]
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        raise KeyRefused("Invalid API key.")
    key = ApiKey.objects.select_related("organisation").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.digest, key_digest(raw_key)):
        raise KeyRefused("Invalid API key.")
    now = timezone.now()
    if not key.is_usable(now):
        audit_record(
            actor=None,
            actor_label=f"api-key {key.prefix} ({key.name})",
            action="api.request",
            organisation=key.organisation,
            obj=key,
            outcome=AuditEvent.Outcome.DENIED,
            detail={"reason": key.status, "api_key": str(key.public_id)},
        )
        raise KeyRefused("This API key has been revoked or has expired.")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key
