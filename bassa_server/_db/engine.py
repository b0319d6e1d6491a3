"""The database connection: a SQLite file by default, MariaDB/MySQL or PostgreSQL by URL.

SQLite gets WAL (readers never wait for the writer), enforced foreign keys and a busy timeout, so
the API and the engine can share one file from several threads. Server databases get pre-ping and
recycling so a restarted database does not leave dead connections in the pool.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000


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
