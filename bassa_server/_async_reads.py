"""Prepared reads on a server database run on the event loop, over asynchronous connections.

A list page's query takes well under a millisecond on a nearby database, and sending it to a
worker thread costs about as much as the query again: two thread switches, and a worker that
waits for the interpreter lock while the event loop holds it (PostgreSQL served ~1,150 list pages/s
at c=32 through workers, ~2,200 from the event loop; benchmarks/server.py). On the event loop the
query is a send and an await on the socket: asyncpg for PostgreSQL, asyncmy for MariaDB/MySQL (both
compiled, with wheels). asyncpg costs the event loop about half of what psycopg's
`AsyncConnection` did (a 15-row page on loopback: 0.45-0.54x the CPU a read, benchmarks/reads.py),
which counts where pages differ (one per user) and cannot share a query. The connections are
autocommit (no BEGIN, nothing to roll back), at most `size` of them, kept between reads. One idle
for IDLE_PING_SECONDS is replaced rather than trusted (the database may have restarted
meanwhile), and one whose read failed or was cancelled is closed. The request statement limit
bounds every read, as on the other request connections (see _db/engine.py).

Identical reads share queries, never staleness. One query at a time runs for a statement and its
values; a request that asks for the same while it runs cannot use its rows (that query may have
been sent before the request came, and miss a commit the caller already saw), so it waits for the
next query, sent as soon as the running one ends, and every request that came meanwhile shares
that query's rows. Each answer is thus read after its request arrived, as if it had its own
query, while 32 clients polling one page cost the database and the event loop about one query per
query time instead of 32 (the event loop, not the database, bounds a replica: reading through the
driver was about a quarter of its time at c=32 on PostgreSQL).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Hashable
from typing import Any

import asyncmy
import asyncpg
from sqlalchemy import Dialect
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import URL, make_url

from bassa_server._db.engine import CONNECT_TIMEOUT_SECONDS, IDLE_PING_SECONDS
from bassa_server._prepared import PreparedRead

STATEMENT_CACHE_SIZE = 32
# the URL options asyncpg reads as libpq does; it would send any other as a server setting
ASYNCPG_OPTIONS = frozenset(
    {"sslmode", "sslcert", "sslkey", "sslrootcert", "sslcrl", "passfile", "connect_timeout"}
)
# reads on PostgreSQL are compiled for asyncpg ($1 placeholders)
_ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


class _Flight:
    """The query of one read and values now running, and the callers waiting for the next."""

    __slots__ = ("next",)

    def __init__(self) -> None:
        self.next: asyncio.Future[list[tuple[Any, ...]]] | None = None


class AsyncReads:
    """Up to `size` kept asynchronous connections to the database at `database_url`."""

    def __init__(self, database_url: str, size: int, statement_timeout: float) -> None:
        self._url = make_url(database_url)
        self._statement_timeout = statement_timeout
        self._size = size
        self._idle: list[tuple[Any, float]] = []
        self._postgresql = self._url.get_backend_name() == "postgresql"
        self._loop = 0
        self._free = asyncio.Semaphore(size)
        self._flights: dict[Hashable, _Flight] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._mysql: Dialect | None = None

    @staticmethod
    def supports(url: URL) -> bool:
        """Whether reads on `url` can run here (PostgreSQL given a psycopg URL whose options
        asyncpg honours, MariaDB/MySQL over plain TCP with at most a charset; anything else
        reads in worker threads, where the URL's own driver honours every option)."""
        if url.get_backend_name() == "postgresql":
            return url.get_driver_name() == "psycopg" and set(url.query) <= ASYNCPG_OPTIONS
        if url.get_backend_name() in {"mysql", "mariadb"}:
            # TLS, a socket path or other driver options: the URL's own driver honours them
            return set(url.query) <= {"charset"}
        return False

    async def all(
        self, read: PreparedRead, dialect: Dialect, values: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """The rows of `read` for `values`, read after this call began: from its own query, or from
        the next query of the same read and values (see above). The list may be another caller's
        too: never change it.
        """
        loop = id(asyncio.get_running_loop())
        if loop != self._loop:  # a connection belongs to the event loop that opened it
            self.close()
            self._loop = loop
            self._free = asyncio.Semaphore(self._size)
            self._flights = {}
        key = (read, *values.items())
        flight = self._flights.get(key)
        if flight is not None:  # that query may predate this call: take the next one's rows
            if flight.next is None:
                flight.next = asyncio.get_running_loop().create_future()
            # shielded: one caller giving up must not take the rows from the others
            return await asyncio.shield(flight.next)
        flight = self._flights[key] = _Flight()
        try:
            return await self._query(read, dialect, values)
        finally:
            self._land(key, flight, read, dialect, values)

    def _land(
        self,
        key: Hashable,
        flight: _Flight,
        read: PreparedRead,
        dialect: Dialect,
        values: dict[str, Any],
    ) -> None:
        """The query of `flight` has ended: send the next one for whoever came meanwhile."""
        waiting = flight.next
        if self._flights.get(key) is not flight:  # the event loop changed meanwhile
            return
        if waiting is None:
            del self._flights[key]
            return
        after = self._flights[key] = _Flight()
        task = asyncio.get_running_loop().create_task(
            self._serve(key, after, waiting, read, dialect, values)
        )
        self._tasks.add(task)  # the loop keeps only a weak reference
        task.add_done_callback(self._tasks.discard)

    async def _serve(
        self,
        key: Hashable,
        flight: _Flight,
        waiting: asyncio.Future[list[tuple[Any, ...]]],
        read: PreparedRead,
        dialect: Dialect,
        values: dict[str, Any],
    ) -> None:
        """Run the query that the callers waiting on `waiting` share."""
        try:
            rows = await self._query(read, dialect, values)
        except asyncio.CancelledError:
            waiting.cancel()
            raise
        except Exception as error:  # every caller sees the read's own error
            waiting.set_exception(error)
            waiting.exception()  # retrieved, even if every caller has gone
        else:
            waiting.set_result(rows)
        finally:
            self._land(key, flight, read, dialect, values)

    async def _query(
        self, read: PreparedRead, dialect: Dialect, values: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """`read` on one of the kept connections, once one is free.

        The count is an asyncio semaphore, which lets a read in without yielding to the event
        loop while a connection is free (anyio's CapacityLimiter yields on every acquire: reads
        one after another took 181 µs of CPU each through it on PostgreSQL, 96 µs without).
        """
        async with self._free:
            connection = await self._take()
            try:
                if self._postgresql:
                    sql, arguments = read.bound(_ASYNCPG, values)
                    rows = [tuple(row) for row in await connection.fetch(sql, *arguments)]
                else:
                    rows = await read.all_async(connection, self._positional(dialect), **values)
            except BaseException:
                self._discard(connection)  # a failed or abandoned read leaves it in doubt
                raise
            self._idle.append((connection, time.monotonic()))
            return rows

    def _positional(self, dialect: Dialect) -> Dialect:
        """The MySQL `dialect` with `%s` placeholders. asyncmy runs a read given positional
        values as a server-side prepared statement, parsed once per connection, with binary rows
        and nothing to escape: 0.57-0.75x the CPU a page read of named values, which it sends as
        text (benchmarks/reads.py --database mariadb)."""
        if type(self._mysql) is not type(dialect):
            make: Any = type(dialect)
            self._mysql = make(
                paramstyle="format", is_mariadb=getattr(dialect, "is_mariadb", False)
            )
        return self._mysql

    async def _take(self) -> Any:
        now = time.monotonic()
        while self._idle:
            connection, last_used = self._idle.pop()
            if now - last_used < IDLE_PING_SECONDS:
                return connection
            self._discard(connection)
        if self._postgresql:
            return await self._connect_postgresql()
        return await self._connect_mysql()

    async def _connect_postgresql(self) -> Any:
        url = self._url
        timeout = float(str(url.query.get("connect_timeout", CONNECT_TIMEOUT_SECONDS)))
        settings = {}
        if self._statement_timeout > 0:
            settings["statement_timeout"] = str(max(1, round(self._statement_timeout * 1000)))
        dsn = url.set(drivername="postgresql").difference_update_query(["connect_timeout"])
        # outside a transaction every statement commits by itself: asyncpg's autocommit
        return await asyncpg.connect(
            dsn.render_as_string(hide_password=False),
            timeout=timeout,
            server_settings=settings,
            statement_cache_size=STATEMENT_CACHE_SIZE,
        )

    async def _connect_mysql(self) -> Any:
        url = self._url
        connection = await asyncmy.connect(
            host=url.host or "localhost",
            port=url.port or 3306,
            user=url.username,
            password=url.password or "",
            database=url.database,
            charset=str(url.query.get("charset", "utf8mb4")),
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            # reads with positional values run as server-side prepared statements
            stmt_cache_size=STATEMENT_CACHE_SIZE,
        )
        seconds = self._statement_timeout
        if seconds > 0:
            whole = max(1, math.ceil(seconds))
            async with connection.cursor() as cursor:
                if "mariadb" in connection.get_server_info().lower():
                    await cursor.execute(
                        "SET SESSION max_statement_time = %s, innodb_lock_wait_timeout = %s, "
                        "lock_wait_timeout = %s",
                        (seconds, whole, whole),
                    )
                else:
                    await cursor.execute(
                        "SET SESSION max_execution_time = %s, innodb_lock_wait_timeout = %s, "
                        "lock_wait_timeout = %s",
                        (max(1, round(seconds * 1000)), whole, whole),
                    )
        return connection

    def _discard(self, connection: Any) -> None:
        if self._postgresql:
            connection.terminate()
        else:
            connection.close()

    def close(self) -> None:
        """Close every kept connection."""
        while self._idle:
            self._discard(self._idle.pop()[0])
