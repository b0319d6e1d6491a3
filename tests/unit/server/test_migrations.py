"""The packaged migrations build exactly the schema the models describe."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import column, delete, insert, select, table

from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import QUEUE_PAUSED, Base, Download, QueueState, Rating, User


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


def test_sqlite_ids_survive_the_rebuild_and_are_never_reused(tmp_path: Path) -> None:
    """A database made by revision 0001 keeps its downloads and ratings through the rebuild of
    0002, and afterwards a deleted download's id is not handed to the next one."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    command.upgrade(migrate.alembic_config(engine), "0001")
    with engine.begin() as connection:
        connection.execute(insert(_USERS_0001), [_user_0001("alice")])
        for download_id in (1, 2, 3):
            connection.execute(
                insert(Download).values(
                    id=download_id,
                    link=f"https://example.org/{download_id}",
                    user_name="alice",
                    added_time=download_id,
                )
            )
        connection.execute(insert(Rating).values(user_name="alice", download_id=2, rate=4))

    migrate.upgrade(engine)

    with engine.begin() as connection:
        assert connection.scalars(select(Download.id).order_by(Download.id)).all() == [1, 2, 3]
        assert connection.execute(select(Rating.download_id, Rating.rate)).all() == [(2, 4)]
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        connection.execute(delete(Download).where(Download.id == 3))
        new = connection.execute(
            insert(Download).values(link="https://example.org/4", user_name="alice", added_time=4)
        )
        assert new.inserted_primary_key is not None
        assert new.inserted_primary_key[0] == 4
        # deleting a download still takes its ratings with it
        connection.execute(delete(Download).where(Download.id == 2))
        assert connection.execute(select(Rating.download_id)).all() == []


# the users table as revision 0001 made it (the model has grown since)
_USERS_0001 = table(
    "users",
    *(column(name) for name in ("user_name", "password_hash", "auth", "email")),
    *(column(name) for name in ("approved", "blocked", "created_at")),
)


def _user_0001(name: str) -> dict[str, object]:
    return {
        "user_name": name,
        "password_hash": "h",
        "auth": 1,
        "email": f"{name}@example.org",
        "approved": True,
        "blocked": False,
        "created_at": 0,
    }


def test_existing_accounts_get_their_own_session_stamps(tmp_path: Path) -> None:
    """Upgrading a database with accounts gives each one a different random session stamp."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    command.upgrade(migrate.alembic_config(engine), "0002")
    with engine.begin() as connection:
        connection.execute(insert(_USERS_0001), [_user_0001("alice"), _user_0001("bob")])

    migrate.upgrade(engine)

    with engine.begin() as connection:
        stamps = connection.scalars(select(User.session_stamp)).all()
    assert len(stamps) == 2
    assert len(set(stamps)) == 2
    assert all(len(stamp) == 32 for stamp in stamps)
