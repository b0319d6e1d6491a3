"""Start-up safety for replicas, on SQLite files: the migration lock and the folder check."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db import migrate
from bassa_server._db.engine import is_conflict, make_engine, make_session_factory
from bassa_server._db.shared_folder import MARKER_NAME, FolderMismatchError, check_downloads_folder


def test_a_migration_waits_for_the_lock_another_process_holds(tmp_path: Path) -> None:
    """While the migration lock is held, another upgrade does not touch the schema and gives
    up with a clear error once its wait is over; after release it migrates."""
    url = f"sqlite:///{tmp_path / 'bassa.db'}"
    holder, waiter = make_engine(url), make_engine(url)
    with migrate.migration_lock(holder):
        with pytest.raises(migrate.MigrationLockTimeoutError, match="migration lock"):
            migrate.upgrade(waiter, wait_seconds=0.0)
        assert migrate.current_revision(waiter) is None
    migrate.upgrade(waiter, wait_seconds=0.0)
    assert migrate.current_revision(waiter) == migrate.head_revision()


def test_the_downloads_folder_is_recorded_then_checked(tmp_path: Path) -> None:
    """The first start records the folder's marker; the same folder passes later, a folder
    without the marker or with another one is refused with the folder's path in the reason."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    shared, empty, other = (tmp_path / name for name in ("shared", "empty", "other"))
    for folder in (shared, empty, other):
        folder.mkdir()
    recorded = check_downloads_folder(sessions, shared)
    assert (shared / MARKER_NAME).read_text().strip() == recorded
    assert check_downloads_folder(sessions, shared) == recorded
    with pytest.raises(FolderMismatchError, match=f"{empty} has no marker"):
        check_downloads_folder(sessions, empty)
    (other / MARKER_NAME).write_text("0" * 32 + "\n")
    with pytest.raises(FolderMismatchError, match="holds another replica's marker"):
        check_downloads_folder(sessions, other)
    assert not (empty / MARKER_NAME).exists()


def test_a_replica_starting_while_another_records_the_folder_accepts_it(tmp_path: Path) -> None:
    """Two replicas starting together on one folder both start: the one that finds the folder
    recorded by the other, between its look at the folder and its look at the database, still
    sees the marker the other wrote."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    shared = tmp_path / "shared"
    shared.mkdir()
    recorded_by_other: list[str] = []

    def sessions_while_another_replica_starts() -> Session:
        if not recorded_by_other:
            recorded_by_other.append(check_downloads_folder(sessions, shared))
        return sessions()

    racing = cast("sessionmaker[Session]", sessions_while_another_replica_starts)
    assert check_downloads_folder(racing, shared) == recorded_by_other[0]


class _DriverError(Exception):
    def __init__(self, *args: object, sqlstate: str | None = None) -> None:
        super().__init__(*args)
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("original", "conflict"),
    [
        (_DriverError("deadlock detected", sqlstate="40P01"), True),
        (_DriverError("could not serialize access", sqlstate="40001"), True),
        (_DriverError(1213, "Deadlock found when trying to get lock"), True),
        (_DriverError(1062, "Duplicate entry"), False),
        (_DriverError("duplicate key value", sqlstate="23505"), False),
    ],
)
def test_only_deadlocks_and_serialization_failures_count_as_conflicts(
    original: Exception, conflict: bool
) -> None:
    """PostgreSQL's 40P01/40001 and MariaDB's 1213 are run again; a duplicate key is not."""
    assert is_conflict(OperationalError("UPDATE …", {}, original)) is conflict
