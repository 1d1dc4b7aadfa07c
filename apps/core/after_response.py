"""Work that runs after the response has gone: the in-process stand-in for a queue.

With no broker (`make run`), Celery runs tasks eagerly, inside the request that queued
them, so the person waited for their PDF before their results page appeared (1-3 s, more
on a busy machine). `defer(fn)` inside a request runs `fn` once the response has been
sent (when the WSGI server closes the response, after writing the body);
the page that follows shows the work as queued and updates itself. Outside a request (a
command, a worker, a test calling a service) `fn` runs at once. The test client closes
each response before returning it and, with AFTER_RESPONSE_THREAD off (tests), runs the
work right there, so tests still see it done.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)
_state = threading.local()


def defer(fn: Callable[[], object]) -> None:
    """Run `fn` after the current response is sent, or now when there is no request."""
    pending = getattr(_state, "pending", None)
    if pending is None:
        fn()
    else:
        pending.append(fn)


def _run(pending: list) -> None:
    for fn in pending:
        try:
            fn()
        except Exception:  # the response is gone: log, as Celery would for a task
            logger.exception("work deferred until after the response failed: %r", fn)
        finally:
            if threading.current_thread().name == "after-response":
                connections.close_all()
            else:
                close_old_connections()


class AfterResponseMiddleware:
    """Collects what `defer` is given during the request and hands it to the response,
    which runs it when the server closes it (after the body is sent). The collection
    never outlives the request, so nothing leaks into the next one on this thread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        pending: list = []
        _state.pending = pending
        try:
            response = self.get_response(request)
        except BaseException:
            _state.pending = None
            _run(pending)
            raise
        _state.pending = None
        if pending:
            # Django's own hook for work at close() (it closes files the same way).
            response._resource_closers.append(lambda: _hand_off(pending))
        return response


def _hand_off(pending: list) -> None:
    """Run the work on its own thread: the browser reuses this connection (keep-alive)
    for the page that follows, and must not wait behind the work. The test client
    (AFTER_RESPONSE_THREAD off) runs it before returning the response instead."""
    if not settings.AFTER_RESPONSE_THREAD:
        _run(pending)
        return
    threading.Thread(target=_run, args=(pending,), name="after-response", daemon=True).start()
