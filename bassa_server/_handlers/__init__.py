"""The handlers of every operation of the spec, grouped by concern."""

from __future__ import annotations

from bassa_server._handlers import auth, downloads, files, health, queue, sessions, users
from bassa_server._openapi import HandlerSet


def all_handlers() -> list[HandlerSet]:
    """Every handler set; the binding checks they cover the spec exactly."""
    return [
        auth.handlers,
        sessions.handlers,
        users.handlers,
        downloads.handlers,
        queue.handlers,
        files.handlers,
        health.handlers,
    ]
