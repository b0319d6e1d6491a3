"""The database connections: a SQLite file by default, MariaDB/MySQL or PostgreSQL by URL.

SQLite gets WAL (readers never wait for the writer), enforced foreign keys and a busy timeout, so
the API and the engine can share one file from several threads. Server databases get a bounded
connect timeout and recycling, and a connection that sat idle for IDLE_PING_SECONDS is pinged
before use, so a restarted database does not hand out dead connections; a connection in steady
use is not pinged (a round trip per checkout was a third of a list page's time on PostgreSQL),
and one that died anyway fails its request once and takes every older connection with it.

`statement_timeout` ends any statement that runs longer, so an abandoned or runaway request stops
instead of holding a connection: PostgreSQL's `statement_timeout` (lock waits included), MariaDB's
`max_statement_time` (MySQL's `max_execution_time`, which covers SELECTs only) with the lock
waits cut to the same bound, and on SQLite a progress handler that interrupts a statement past
its deadline. `is_statement_timeout` recognises the error each of them raises.

`make_pools` builds the pools of one server process from its settings (see `DatabasePools`).

`retry_conflicts` reruns a unit of database work that the database aborted to break a deadlock
(PostgreSQL 40P01, MariaDB/MySQL 1213) or a serialization conflict (40001; MariaDB 1020), a
bounded number of times with a short random pause: the other transaction won, ours is undone
whole, and running it again is what the database asks for.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from bassa_server._config import Settings

SQLITE_BUSY_TIMEOUT_MS = 10_000
# SQLite calls the progress handler every this many virtual-machine steps (well under a ms)
SQLITE_PROGRESS_STEPS = 10_000
CONNECT_TIMEOUT_SECONDS = 10
IDLE_PING_SECONDS = 10.0
# readiness: one connection of its own, answers within a second or counts as down
PROBE_TIMEOUT_SECONDS = 1.0
# the download engine and the metrics: a pool apart from the requests' (4 connections at most)
MAINTENANCE_POOL_SIZE = 2
MAINTENANCE_OVERFLOW = 2
CONFLICT_ATTEMPTS = 5
CONFLICT_PAUSE_SECONDS = 0.02
_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_MYSQL_CODES = frozenset({1213, 1020})  # ER_LOCK_DEADLOCK, ER_CHECKREAD (snapshot conflict)
_TIMEOUT_SQLSTATES = frozenset({"57014", "55P03"})  # query_canceled, lock_not_available
# ER_LOCK_WAIT_TIMEOUT, ER_STATEMENT_TIMEOUT (MariaDB), ER_QUERY_TIMEOUT (MySQL max_execution_time)
_MYSQL_TIMEOUT_CODES = frozenset({1205, 1969, 3024})

P = ParamSpec("P")
T = TypeVar("T")
logger = logging.getLogger("bassa_server")


def make_engine(
    database_url: str,
    *,
    statement_timeout: float = 0.0,
    autocommit: bool = False,
    **options: Any,
) -> Engine:
    """An Engine for `database_url`, tuned for the database it names.

    `statement_timeout` (seconds, 0 for none) bounds every statement on its connections;
    `autocommit` gives connections that never open a transaction (for reads: nothing to reset
    when one goes back to the pool, and no BEGIN before a query).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # waiting for the write lock counts against the statement's time too
        busy_ms = SQLITE_BUSY_TIMEOUT_MS
        if statement_timeout > 0:
            busy_ms = min(busy_ms, max(1, round(statement_timeout * 1000)))
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": busy_ms / 1000},
            **options,
        )
        event.listen(engine, "connect", functools.partial(_tune_sqlite, busy_ms=busy_ms))
        if statement_timeout > 0:
            event.listen(
                engine, "connect", functools.partial(_limit_sqlite, seconds=statement_timeout)
            )
        return engine
    if autocommit:
        options = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None, **options}
    engine = create_engine(url, pool_recycle=1800, **options)
    event.listen(engine, "do_connect", functools.partial(_connect_options, url=url))
    event.listen(engine, "checkin", _checked_in)
    event.listen(engine, "checkout", functools.partial(_ping_if_idle, engine=engine))
    if statement_timeout > 0 and url.get_backend_name() == "postgresql":
        event.listen(
            engine, "do_connect", functools.partial(_limit_postgresql, seconds=statement_timeout)
        )
    elif statement_timeout > 0:
        event.listen(
            engine,
            "connect",
            functools.partial(_limit_mysql, engine=engine, seconds=statement_timeout),
        )
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (handlers serialise them after)."""
    return sessionmaker(engine, expire_on_commit=False)


@dataclass(frozen=True)
class DatabasePools:
    """The connection pools of one server process, each with its own job and limits.

    - `transactions`: request work that writes (one short transaction per call);
    - `reads`: the requests' prepared reads where they cannot run on the event loop (see
      _async_reads.py, which holds as many connections of its own instead): autocommit
      connections (no BEGIN, no reset), kept between reads (see _services.py);
    - `maintenance`: the download engine and the metrics, whose work may run longer
      (`BASSA_DB_ENGINE_STATEMENT_TIMEOUT`); migrations get a connection without a limit;
    - `probe`: readiness, one connection, so it never waits behind busy request connections.

    On a server database the request reads and transactions hold `BASSA_DB_POOL_SIZE`
    connections each, and the process at most 2 x that + 6 (one for the migrations at start).
    """

    transactions: Engine
    reads: Engine
    maintenance: Engine
    probe: Engine

    def dispose(self) -> None:
        """Close every pool's connections."""
        for engine in {self.transactions, self.reads, self.maintenance, self.probe}:
            engine.dispose()


def make_pools(settings: Settings) -> DatabasePools:
    """The pools for `settings.database_url` (see `DatabasePools`)."""
    url = settings.database_url
    sqlite = make_url(url).get_backend_name() == "sqlite"
    requests: dict[str, Any] = {"statement_timeout": settings.db_statement_timeout}
    if not sqlite:
        # SQLite keeps the default pool: its reads run inline on the event loop, where waiting
        # for a connection would stop everything (see _services.py)
        requests |= {"pool_size": settings.db_pool_size, "max_overflow": 0}
    transactions = make_engine(url, **requests)
    maintenance: dict[str, Any] = (
        {} if sqlite else {"pool_size": MAINTENANCE_POOL_SIZE, "max_overflow": MAINTENANCE_OVERFLOW}
    )
    return DatabasePools(
        transactions=transactions,
        # SQLite reads run on a kept connection of the transactions engine (see _services.py)
        reads=transactions if sqlite else make_engine(url, autocommit=True, **requests),
        maintenance=make_engine(
            url, statement_timeout=settings.db_engine_statement_timeout, **maintenance
        ),
        probe=make_engine(
            url,
            autocommit=not sqlite,
            statement_timeout=PROBE_TIMEOUT_SECONDS,
            pool_size=1,
            max_overflow=0,
            pool_timeout=PROBE_TIMEOUT_SECONDS,
        ),
    )


def _tune_sqlite(dbapi_connection: Any, _record: Any, *, busy_ms: int) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
    cursor.close()


def _limit_sqlite(dbapi_connection: Any, _record: Any, *, seconds: float) -> None:
    """Interrupt any statement on this connection that runs past `seconds`.

    The trace callback runs as each statement starts and sets its deadline; the progress handler
    runs every SQLITE_PROGRESS_STEPS steps and interrupts past it (sqlite3 then raises
    OperationalError "interrupted"). Waiting for the write lock is bounded by the busy timeout,
    which `make_engine` caps at the same limit ("database is locked").
    """
    deadline = [math.inf]

    def started(_statement: str) -> None:
        deadline[0] = time.monotonic() + seconds

    def overdue() -> int:
        return 1 if time.monotonic() > deadline[0] else 0

    dbapi_connection.set_trace_callback(started)
    dbapi_connection.set_progress_handler(overdue, SQLITE_PROGRESS_STEPS)


def _connect_options(
    _dialect: Any, _record: Any, _args: Any, params: dict[str, Any], *, url: URL
) -> None:
    """A bounded connect timeout unless the URL sets one."""
    name = "connect_timeout"
    if name not in url.query:
        params[name] = CONNECT_TIMEOUT_SECONDS


def _limit_postgresql(
    _dialect: Any, _record: Any, _args: Any, params: dict[str, Any], *, seconds: float
) -> None:
    """statement_timeout for the session, added to any options the URL carries."""
    limit = f"-c statement_timeout={max(1, round(seconds * 1000))}"
    params["options"] = f"{params.get('options', '')} {limit}".strip()


def _limit_mysql(dbapi_connection: Any, _record: Any, *, engine: Engine, seconds: float) -> None:
    """The session's statement time limit and lock waits, set once per new connection."""
    whole = max(1, math.ceil(seconds))
    cursor = dbapi_connection.cursor()
    try:
        if getattr(engine.dialect, "is_mariadb", False):
            cursor.execute(
                "SET SESSION max_statement_time = %s, innodb_lock_wait_timeout = %s, "
                "lock_wait_timeout = %s",
                (seconds, whole, whole),
            )
        else:
            cursor.execute(
                "SET SESSION max_execution_time = %s, innodb_lock_wait_timeout = %s, "
                "lock_wait_timeout = %s",
                (max(1, round(seconds * 1000)), whole, whole),
            )
    finally:
        cursor.close()


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["checked_in_at"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any, *, engine: Engine) -> None:
    """Ping a connection that sat idle long enough for the database to have gone away; a dead
    one is replaced (the pool retries the checkout on DisconnectionError)."""
    idle_since = record.info.get("checked_in_at")
    if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except Exception as exc:
        raise DisconnectionError("the database connection is gone") from exc


def is_statement_timeout(error: BaseException) -> bool:
    """Whether the database ended a statement for running past its time limit (or waiting too
    long for a lock)."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in _TIMEOUT_SQLSTATES:
        return True
    arguments: tuple[Any, ...] = getattr(original, "args", ())
    if arguments and arguments[0] in _MYSQL_TIMEOUT_CODES:
        return True
    # SQLite: the progress handler's interrupt, or the busy timeout on the write lock
    message = str(original)
    return type(original).__module__ == "sqlite3" and (
        "interrupted" in message or "database is locked" in message
    )


def is_conflict(error: BaseException) -> bool:
    """Whether the database aborted the transaction to break a deadlock or a serialization
    conflict (so running the same work again may succeed)."""
    if not isinstance(error, DBAPIError):
        return False
    original = error.orig
    if getattr(original, "sqlstate", None) in _SQLSTATES:
        return True
    arguments: tuple[Any, ...] = getattr(original, "args", ())
    return bool(arguments) and arguments[0] in _MYSQL_CODES


def retry_conflicts(work: Callable[P, T], *, attempts: int = CONFLICT_ATTEMPTS) -> Callable[P, T]:
    """`work` (which runs whole transactions) run again when the database reports a conflict,
    at most `attempts` times; blocking, for worker threads."""

    @functools.wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        for attempt in range(1, attempts + 1):
            try:
                return work(*args, **kwargs)
            except DBAPIError as error:
                if attempt == attempts or not is_conflict(error):
                    raise
                logger.warning(
                    "database conflict; running the transaction again",
                    extra={"attempt": attempt, "work": getattr(work, "__name__", "?")},
                )
                time.sleep(
                    random.uniform(0.5, 1.5)  # noqa: S311 (jitter, not a secret)
                    * CONFLICT_PAUSE_SECONDS
                    * 2 ** (attempt - 1)
                )
        raise AssertionError("unreachable")

    return run
