"""The HTTP connections uvicorn serves, bounded in time and number (slowloris and floods).

uvicorn closes an idle keep-alive connection after `timeout_keep_alive`, but it has no deadline
for a request that is still arriving: a client that opens a connection and sends a header line
now and then (slowloris), or announces a body and never sends it, holds a socket and its memory
for as long as it likes, and a few hundred such clients exhaust the server. The protocol here is
uvicorn's httptools protocol with three deadlines added through its own parser callbacks:

- a new request must have sent all its headers within `header_timeout_seconds` of its first byte
  (of the connection's opening, for the first request);
- its body must have arrived whole within `body_timeout_seconds` after the headers;
- between requests, uvicorn's keep-alive timeout (`keep_alive_seconds`) applies.

A connection that misses a deadline is closed. Beyond `max_connections` open connections, each
further request is answered `503` in the API's error shape with `Retry-After` and its connection
closed, so a flood costs the server one small answer per connection instead of its memory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bassa_server._config import Settings

logger = logging.getLogger("bassa_server.http")
BUSY_RETRY_AFTER_SECONDS = 1
# refusals over the cap are logged as one warning a minute with their count, not one line each
BUSY_WARNING_SECONDS = 60.0
_BUSY_BODY = orjson.dumps({"error": "server busy: too many connections, try again shortly"})


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    """The answer to a request over the connection cap (the connection closes after it)."""
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(_BUSY_BODY)).encode()),
                (b"retry-after", str(BUSY_RETRY_AFTER_SECONDS).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": _BUSY_BODY, "more_body": False})


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body deadlines and a connection cap."""

    header_timeout_seconds: float = 5.0
    body_timeout_seconds: float = 20.0
    max_connections: int = 1000
    # shared by every connection of the process (the event loop's thread only)
    _refused = 0
    _last_warning: float | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None

    def _arm(self, seconds: float, phase: str) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expire, phase)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, phase: str) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            logger.debug("closed a connection that was too slow", extra={"waiting_for": phase})
            self.transport.close()

    # the connection and parser callbacks uvicorn calls; each adds a deadline step

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept the connection; its first request's headers are due within the bound."""
        super().connection_made(transport)
        self._arm(self.header_timeout_seconds, "headers")

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        """A request starts arriving (a kept-alive connection's next one): its headers are due."""
        super().on_message_begin()
        if self._deadline is None:
            self._arm(self.header_timeout_seconds, "headers")

    def on_headers_complete(self) -> None:
        """The headers arrived: the body is due next; over the cap, answer 503 instead."""
        self._arm(self.body_timeout_seconds, "body")
        if len(self.connections) <= self.max_connections:
            super().on_headers_complete()
            return
        self._count_refusal()
        # uvicorn starts `self.app` for the request: the busy answer stands in for this one
        app, self.app = self.app, _busy
        try:
            super().on_headers_complete()
        finally:
            self.app = app

    def _count_refusal(self) -> None:
        """Warn of the first refusal at once, then at most once a minute with the count since."""
        cls = GuardedHttpProtocol
        now = self.loop.time()
        cls._refused += 1
        last = cls._last_warning
        if last is None or now - last >= BUSY_WARNING_SECONDS:
            logger.warning(
                "refused requests over the connection cap",
                extra={"refused": cls._refused, "max_connections": self.max_connections},
            )
            cls._refused, cls._last_warning = 0, now

    def on_message_complete(self) -> None:
        """The whole request arrived: no deadline until the next one begins."""
        self._disarm()
        super().on_message_complete()


def guarded_protocol(settings: Settings) -> type[GuardedHttpProtocol]:
    """The protocol class for uvicorn's `http=`, with the limits of `settings`."""
    return type(
        "BassaHttpProtocol",
        (GuardedHttpProtocol,),
        {
            "header_timeout_seconds": settings.header_timeout_seconds,
            "body_timeout_seconds": settings.body_timeout_seconds,
            "max_connections": settings.max_connections,
        },
    )
