"""Bring a database's schema to the newest revision, on every start, under a database lock.

Alembic keeps the revision in `alembic_version`; the scripts live in `migrations/versions/` inside
the package, so an installed server migrates without an alembic.ini. Replicas starting together
on one database must not migrate together (two would create the same table, or the same version
row, and one would crash), so `upgrade` first takes a lock every replica and `bassa-server
migrate` share, then reads the revision and applies only what is still missing:

- PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) on a fixed key;
- MariaDB/MySQL: a named lock (`GET_LOCK`), held by the migrating connection;
- SQLite: an exclusive `flock` on a file beside the database (`<file>.migrate-lock`).

A replica waits for the lock (polling, at most `LOCK_WAIT_SECONDS`), so the first one migrates
and the others find the schema current. Both server-side locks belong to the connection: if the
migrating process dies, the database releases them.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# how long a replica waits for another one's migration before giving up (a long data migration
# on a big database may take minutes; a stuck one is the operator's to look at)
LOCK_WAIT_SECONDS = 900.0
LOCK_POLL_SECONDS = 0.2
# pg advisory lock key: any fixed 64-bit number unique to this application ("bassa-mi")
ADVISORY_LOCK_KEY = 0x62617373612D6D69
NAMED_LOCK = "bassa_server.migrate"

logger = logging.getLogger("bassa_server")


class MigrationLockTimeoutError(RuntimeError):
    """Another process held the migration lock for longer than `LOCK_WAIT_SECONDS`."""


def alembic_config(engine: Engine, connection: Connection | None = None) -> Config:
    """An Alembic configuration that runs the packaged scripts on `engine` (on `connection`
    when given: the one that holds the migration lock)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, *, wait_seconds: float = LOCK_WAIT_SECONDS) -> None:
    """Apply every revision the database lacks (a no-op when it is current), under the lock."""
    with migration_lock(engine, wait_seconds) as connection:
        command.upgrade(alembic_config(engine, connection), "head")


@contextlib.contextmanager
def migration_lock(engine: Engine, wait_seconds: float = LOCK_WAIT_SECONDS) -> Iterator[Connection]:
    """Hold the database's migration lock; yields the connection that holds it."""
    backend = engine.dialect.name
    with engine.connect() as connection:
        if backend == "postgresql":
            acquire = text("SELECT pg_try_advisory_lock(:key)").bindparams(key=ADVISORY_LOCK_KEY)
            release = text("SELECT pg_advisory_unlock(:key)").bindparams(key=ADVISORY_LOCK_KEY)
        elif backend in ("mysql", "mariadb"):
            acquire = text("SELECT GET_LOCK(:name, 0)").bindparams(name=NAMED_LOCK)
            release = text("SELECT RELEASE_LOCK(:name)").bindparams(name=NAMED_LOCK)
        else:
            with _file_lock(engine, wait_seconds):
                yield connection
            return
        _wait_for_lock(lambda: connection.execute(acquire).scalar() == 1, wait_seconds)
        # the lock outlives transactions: end the one the query began before Alembic starts its own
        connection.commit()
        try:
            yield connection
        finally:
            if connection.in_transaction():
                connection.rollback()
            connection.execute(release)
            connection.commit()


def _wait_for_lock(try_once: Callable[[], bool], wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    told = False
    while not try_once():
        if time.monotonic() > deadline:
            raise MigrationLockTimeoutError(
                f"another process held the migration lock for over {wait_seconds:.0f} s"
            )
        if not told:
            logger.info("waiting for another process's migration")
            told = True
        time.sleep(LOCK_POLL_SECONDS)


@contextlib.contextmanager
def _file_lock(engine: Engine, wait_seconds: float) -> Iterator[None]:
    """An exclusive lock on `<database file>.migrate-lock` (nothing for an in-memory database)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    path = Path(database).with_name(Path(database).name + ".migrate-lock")
    with path.open("a") as handle:

        def try_once() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _wait_for_lock(try_once, wait_seconds)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
