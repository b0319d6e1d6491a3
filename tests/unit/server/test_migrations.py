"""The packaged migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import QUEUE_PAUSED, Base, QueueState


def test_upgrade_builds_the_models_schema_and_is_repeatable(tmp_path: Path) -> None:
    """After upgrade the database is at head and matches the models; upgrading again is a no-op."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []
    with make_session_factory(engine)() as session:
        states = session.scalars(select(QueueState)).all()
    assert [(row.id, row.state) for row in states] == [(1, QUEUE_PAUSED)]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    """The default SQLite database uses WAL and enforces foreign keys on every connection."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    with engine.connect() as connection:
        journal = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
    assert journal == "wal"
    assert foreign_keys == 1
