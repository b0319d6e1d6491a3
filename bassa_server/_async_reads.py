"""Prepared reads on PostgreSQL run on the event loop, over psycopg's asynchronous connections.

A list page's query takes well under a millisecond on a nearby PostgreSQL, and sending it to a
worker thread costs about as much as the query again: two thread switches, and a worker that
waits for the interpreter lock while the event loop holds it. On the event loop the query is a
send and an await on the socket. The connections are autocommit (no BEGIN, nothing to roll back),
at most `size` of them, kept between reads; psycopg prepares a statement on the server once a
connection has run it a few times. One idle for IDLE_PING_SECONDS is replaced rather than trusted
(the database may have restarted meanwhile), and one whose read failed or was cancelled is closed.
The session's `statement_timeout` bounds every read, as on the other request connections.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
import psycopg
from sqlalchemy import Dialect
from sqlalchemy.engine import make_url

from bassa_server._db.engine import CONNECT_TIMEOUT_SECONDS, IDLE_PING_SECONDS
from bassa_server._prepared import PreparedRead


class AsyncReads:
    """Up to `size` kept asynchronous connections to the PostgreSQL at `database_url`."""

    def __init__(self, database_url: str, size: int, statement_timeout: float) -> None:
        url = make_url(database_url)
        self._conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        options = str(url.query.get("options", ""))
        if statement_timeout > 0:
            limit = max(1, round(statement_timeout * 1000))
            options = f"{options} -c statement_timeout={limit}".strip()
        self._extra: dict[str, Any] = {"autocommit": True}
        if options:
            self._extra["options"] = options
        if "connect_timeout" not in url.query:
            self._extra["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        self._size = size
        self._idle: list[tuple[psycopg.AsyncConnection[Any], float]] = []

    async def all(
        self,
        read: PreparedRead,
        dialect: Dialect,
        values: dict[str, Any],
        limiter: anyio.CapacityLimiter,
    ) -> list[tuple[Any, ...]]:
        """The rows of `read` for `values`, once `limiter` (of `size`) lets this read in."""
        async with limiter:
            connection = await self._take()
            try:
                rows = await read.all_async(connection, dialect, **values)
            except BaseException:
                connection.pgconn.finish()  # a failed or abandoned read leaves it in doubt
                raise
            self._idle.append((connection, time.monotonic()))
            return rows

    async def _take(self) -> psycopg.AsyncConnection[Any]:
        now = time.monotonic()
        while self._idle:
            connection, last_used = self._idle.pop()
            if now - last_used < IDLE_PING_SECONDS and not connection.closed:
                return connection
            connection.pgconn.finish()
        return await psycopg.AsyncConnection.connect(self._conninfo, **self._extra)

    def close(self) -> None:
        """Close every kept connection."""
        while self._idle:
            self._idle.pop()[0].pgconn.finish()
