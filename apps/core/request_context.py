"""The current request's address and id, for audit events written deep in services."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip_address: str | None = None
    request_id: str = ""


_current: contextvars.ContextVar[RequestMeta] = contextvars.ContextVar(
    "portcullis_request_meta",
    default=RequestMeta(),  # noqa: B039 - frozen dataclass, immutable
)


def current_request_meta() -> RequestMeta:
    return _current.get()


def set_request_meta(meta: RequestMeta) -> contextvars.Token:
    return _current.set(meta)


def reset_request_meta(token: contextvars.Token) -> None:
    _current.reset(token)
