"""The client's address: one definition for audit rows, axes, allauth and API throttles.

# SECURITY: behind N trusted reverse proxies (TRUSTED_PROXY_COUNT), the client is the Nth
# address from the right of X-Forwarded-For: each proxy appends the address it received the
# connection from, so anything further left was written by the client and is ignored. With
# no trusted proxy (the default) the socket address is the client and X-Forwarded-For is
# never read. Production refuses BEHIND_TLS_PROXY without a count (config/production_guard).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address of the person at the other end of `request` (None if unknowable)."""
    remote = _clean(request.META.get("REMOTE_ADDR"))
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(forwarded) < count or not forwarded[0].strip():
        # Fewer entries than trusted proxies: the request did not come through all of them
        # (a probe straight to the app server, say). The socket address is all we know.
        return remote
    return _clean(forwarded[-count]) or remote


def axes_client_ip(request) -> str:
    """django-axes' AXES_CLIENT_IP_CALLABLE."""
    return client_ip(request) or ""
