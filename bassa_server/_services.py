"""What every handler needs, built once per app: settings, database, token codecs, metrics, the
download lifecycle, the zip jobs and (where enabled) this replica's download engine.

Database work runs through `run_db`, one short transaction per call, with synchronous SQLAlchemy
(the engine factory serves SQLite, MySQL and PostgreSQL alike). Writes, and every call on a server
database, run in a worker thread, so a lock wait or a network round trip never blocks the event
loop. Reads (`read_db`, `prepared`) use a Core connection or the driver's cursor, about three times
cheaper than an ORM session, and on a SQLite file they run inline: in WAL mode a reader never waits
for a writer, and a short indexed query costs less than the thread switches a worker adds (see
benchmarks/server.py).

On a server database, prepared reads (the list pages, the session check) keep autocommit
connections between requests (no BEGIN before the query, nothing to roll back after, no pool
checkout): asynchronous ones, queried from the event loop (_async_reads.py), or, for a URL with
options the asynchronous drivers do not read, those of a pool of their own in worker threads.
Transactions and other reads use another pool. At most `BASSA_DB_POOL_SIZE` reads and as many
transactions run at a time, the size of each pool, so a thread never waits for a connection while
holding a worker, and a burst of requests queues on the event loop rather than as dozens of
threads contending for the interpreter (c=32 served 14x fewer pages/s than c=4 that way on
MariaDB). Readiness checks the database on a connection of its own (`database_answers`). No read
is cached on a server database: other replicas commit to it too, and no notification reaches this
one before its next read could start, so a cache could answer older than the data; only a page's
rendering is kept, for equal rows, and identical reads asked for at once share a query sent after
they came.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import anyio
import anyio.to_thread
from prometheus_client import CollectorRegistry
from sqlalchemy import Connection, Dialect, Engine, PoolProxiedConnection
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._async_reads import AsyncReads
from bassa_server._auth import SessionTokens, ShareTokens
from bassa_server._config import Settings
from bassa_server._db.engine import (
    IDLE_PING_SECONDS,
    PROBE_TIMEOUT_SECONDS,
    DatabasePools,
    retry_conflicts,
)
from bassa_server._lifecycle import DownloadLifecycle
from bassa_server._prepared import PreparedRead
from bassa_server._read_cache import ReadCache, ShapeMemo
from bassa_server._throttle import LoginThrottle
from bassa_server._zips import ZipJobs

if TYPE_CHECKING:
    from bassa_server._engine import DownloadEngine

T = TypeVar("T")


class LifespanService(Protocol):
    """A background service the app starts and stops with itself (the engine, the zip janitor)."""

    async def start(self) -> None:
        """Begin work; return once running."""

    async def stop(self) -> None:
        """Finish or abandon work cleanly."""

    def health(self) -> dict[str, str]:
        """Readiness checks by name: `ok` or what is wrong."""


@dataclass
class Services:
    """The shared state of one running app."""

    settings: Settings
    pools: DatabasePools
    sessions: sessionmaker[Session]  # request transactions
    maintenance_sessions: sessionmaker[Session]  # the download engine's and the startup's
    tokens: SessionTokens
    shares: ShareTokens
    registry: CollectorRegistry
    login_throttle: LoginThrottle
    clock: Callable[[], float] = time.time
    lifespan_services: list[LifespanService] = field(default_factory=list)
    download_engine: DownloadEngine | None = None  # None where this replica runs no engine
    downloads: DownloadLifecycle = field(init=False)
    zips: ZipJobs = field(init=False)
    # user name -> (monotonic time read, what the security hook learnt); see _security.py
    user_states: dict[str, tuple[float, Any]] = field(default_factory=dict)
    _reader: PoolProxiedConnection | None = None
    _reader_cache: ReadCache = field(default_factory=ReadCache)
    # server databases: shapes by the rows they were made from (see `shaped`), and read
    # connections kept between prepared reads, with their last use
    _shapes: ShapeMemo = field(default_factory=ShapeMemo)
    _async_reads: AsyncReads | None = None  # prepared reads on the event loop, where supported
    _kept_reads: list[tuple[PoolProxiedConnection, float]] = field(default_factory=list)
    # the worker limiters of one event loop (a limiter belongs to the loop that made it)
    _limiters: dict[str, anyio.CapacityLimiter] = field(default_factory=dict)
    _limiters_loop: int = 0

    def __post_init__(self) -> None:
        if AsyncReads.supports(self.database.url):
            self._async_reads = AsyncReads(
                self.settings.database_url,
                self.settings.db_pool_size,
                self.settings.db_statement_timeout,
            )
        self.downloads = DownloadLifecycle(
            self.settings, self, clock=self.clock, on_queue_change=self.wake_download_engine
        )
        settings = self.settings
        self.zips = ZipJobs(settings.zips_dir, settings.zip_ttl_seconds, self.run_db, self.clock)

    @property
    def database(self) -> Engine:
        """The engine of request transactions."""
        return self.pools.transactions

    def wake_download_engine(self) -> None:
        """Let this replica's download engine act now rather than at its next poll."""
        if self.download_engine is not None:
            self.download_engine.wake()

    def forget_user(self, *user_names: str) -> None:
        """Drop cached account states after a change (block, rename, delete…) on this replica."""
        for user_name in user_names:
            self.user_states.pop(user_name, None)

    @property
    def inline_reads(self) -> bool:
        """Whether reads run on the event loop (a local SQLite file) or in a worker thread."""
        return self.database.dialect.name == "sqlite"

    def now(self) -> int:
        """The current time in whole Unix seconds."""
        return int(self.clock())

    async def run_db(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a worker thread inside one committed transaction and return its result.

        On SQLite the API's transactions take turns here: SQLite has one writer, and threads
        that collide wait in its busy handler, which sleeps in steps of up to 100 ms (an add
        download at 32 connections had a p99 near a second).
        """

        def transaction() -> T:
            with self.sessions() as session, session.begin():
                return work(session)

        limiter = (
            self._limiter("writer", 1)
            if self.inline_reads
            else self._limiter("transactions", self.settings.db_pool_size)
        )
        return await anyio.to_thread.run_sync(retry_conflicts(transaction), limiter=limiter)

    def _limiter(self, name: str, capacity: int) -> anyio.CapacityLimiter:
        loop = id(asyncio.get_running_loop())
        if loop != self._limiters_loop:
            self._limiters, self._limiters_loop = {}, loop
        found = self._limiters.get(name)
        if found is None:
            found = self._limiters[name] = anyio.CapacityLimiter(capacity)
        return found

    def _readers(self) -> anyio.CapacityLimiter:
        return self._limiter("reads", self.settings.db_pool_size)

    async def read_db(self, work: Callable[[Connection], T]) -> T:
        """Run the read-only `work` on a connection, inline for SQLite (see the module doc).

        On a server database it takes a connection of the transactions' pool: the reads' pool
        belongs to the prepared reads, which keep its connections (see `_read_kept`).
        """
        if not self.inline_reads:
            limiter = self._limiter("transactions", self.settings.db_pool_size)
            return await anyio.to_thread.run_sync(self._read, work, limiter=limiter)
        return self._read(work)

    def _read(self, work: Callable[[Connection], T]) -> T:
        with self.database.connect() as connection:
            return work(connection)

    async def prepared(self, read: PreparedRead, /, **values: Any) -> list[tuple[Any, ...]]:
        """The rows of a prepared read: inline on a kept SQLite connection, else in a thread.

        The kept connection is used only from the event loop's thread and never opens a
        transaction (the driver begins one only before writes), so each read sees the latest
        commit, without a pool checkout and reset per request.
        """
        dialect = self.database.dialect
        if self._async_reads is not None:
            return await self._async_reads.all(read, dialect, values)
        if not self.inline_reads:

            def in_thread() -> list[tuple[Any, ...]]:
                return self._read_kept(read, dialect, values)

            return await anyio.to_thread.run_sync(in_thread, limiter=self._readers())
        return read.all(self._kept_reader(), dialect, **values)

    def _read_kept(
        self, read: PreparedRead, dialect: Dialect, values: dict[str, Any]
    ) -> list[tuple[Any, ...]]:
        """`read` on a kept autocommit connection of a server database (in a worker thread).

        The reads limiter lets at most `db_pool_size` threads in, so at most that many are kept;
        taking one from the list and putting it back costs far less than a pool checkout and
        check-in (half of a read's time on MariaDB). One idle for a while goes back through the
        pool, which pings it; one that failed is dropped.
        """
        now = time.monotonic()
        try:
            connection, last_used = self._kept_reads.pop()
        except IndexError:
            connection = self.pools.reads.raw_connection()
        else:
            if now - last_used >= IDLE_PING_SECONDS:
                connection.close()
                connection = self.pools.reads.raw_connection()
        try:
            rows = read.all(connection, dialect, **values)
        except BaseException:
            connection.invalidate()
            connection.close()
            raise
        self._kept_reads.append((connection, now))
        return rows

    async def shaped(
        self, read: PreparedRead, shape: Callable[[list[tuple[Any, ...]]], T], **values: Any
    ) -> T:
        """`shape` of a prepared read's rows; on SQLite kept until the next commit (see
        _read_cache.py), so `shape` must return something immutable, such as a body's bytes.

        On a server database the rows are read every time, and only their shape is kept: rows
        equal to the ones a shape was made from get that shape again (a page's JSON, rendered
        and redacted, cost more than its query on PostgreSQL), so nothing is older than the read.
        """
        if not self.inline_reads:
            rows = await self.prepared(read, **values)
            return self._shapes.get((read, shape, tuple(rows)), lambda: shape(rows))
        reader = self._kept_reader()
        dialect = self.database.dialect
        return self._reader_cache.get(
            reader,
            (read, shape, *sorted(values.items())),
            lambda: shape(read.all(reader, dialect, **values)),
        )

    def _kept_reader(self) -> PoolProxiedConnection:
        if self._reader is None:
            self._reader = self.database.raw_connection()
            self._reader_cache = ReadCache()  # data_version counts per connection
        return self._reader

    async def database_answers(self) -> None:
        """Return once the database answers a trivial query on the readiness connection; raise
        (TimeoutError past PROBE_TIMEOUT_SECONDS, or the driver's error) otherwise.

        That connection is nobody else's, so the answer never waits behind request work; a
        check stuck in the driver is abandoned, and the next ones time out behind it.
        """
        with anyio.fail_after(PROBE_TIMEOUT_SECONDS):
            await anyio.to_thread.run_sync(
                self._ping, limiter=self._limiter("probe", 1), abandon_on_cancel=True
            )

    def _ping(self) -> None:
        with self.pools.probe.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def close(self) -> None:
        """Return the kept reader and close the pools."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        while self._kept_reads:
            self._kept_reads.pop()[0].close()
        if self._async_reads is not None:
            self._async_reads.close()
        self.pools.dispose()
