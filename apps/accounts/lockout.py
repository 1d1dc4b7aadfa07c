"""How django-axes names the account behind a login attempt."""

from __future__ import annotations


def axes_username(request, credentials: dict | None = None) -> str:
    """The email address being tried, normalised so `Bob@x` and `bob@x ` share one counter.

    allauth authenticates with `email=...`; the login form posts it as `login`. Unknown and
    known addresses are treated alike: both are counted, both are locked out.
    """
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or credentials.get("login")
    if not value and request is not None:
        data = getattr(request, "data", None) or getattr(request, "POST", {})
        value = data.get("login") or data.get("email") or ""
    return str(value or "").strip().lower()
