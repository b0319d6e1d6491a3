"""The database connection: a SQLite file by default, MariaDB/MySQL or PostgreSQL by URL.

SQLite gets WAL (readers never wait for the writer), enforced foreign keys and a busy timeout, so
the API and the engine can share one file from several threads. Server databases get pre-ping and
recycling so a restarted database does not leave dead connections in the pool.

`retry_conflicts` reruns a unit of database work that the database aborted to break a deadlock
(PostgreSQL 40P01, MariaDB/MySQL 1213) or a serialization conflict (40001; MariaDB 1020), a
bounded number of times with a short random pause: the other transaction won, ours is undone
whole, and running it again is what the database asks for.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000
CONFLICT_ATTEMPTS = 5
CONFLICT_PAUSE_SECONDS = 0.02
_SQLSTATES = frozenset({"40001", "40P01"})  # serialization_failure, deadlock_detected
_MYSQL_CODES = frozenset({1213, 1020})  # ER_LOCK_DEADLOCK, ER_CHECKREAD (snapshot conflict)

P = ParamSpec("P")
T = TypeVar("T")
logger = logging.getLogger("bassa_server")


def make_engine(database_url: str, **options: Any) -> Engine:
    """An Engine for `database_url`, tuned for the database it names."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **options,
        )
        event.listen(engine, "connect", _tune_sqlite_connection)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_recycle=1800, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (handlers serialise them after)."""
    return sessionmaker(engine, expire_on_commit=False)


def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


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
