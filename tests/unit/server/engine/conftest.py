"""A migrated SQLite database in a temporary folder, for the engine's database logic."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import Download, User

OWNER = "alice"


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    """Sessions on a fresh, migrated database with one user."""
    engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
    migrate.upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        session.add(User(user_name=OWNER, password_hash="-", email="alice@example.org"))
        session.commit()
    return factory


def add_download(sessions: sessionmaker[Session], **values: object) -> int:
    """Insert a download owned by the test user; return its id."""
    row = Download(link="http://example.org/file", user_name=OWNER, added_time=0)
    for key, value in values.items():
        setattr(row, key, value)
    with sessions() as session:
        session.add(row)
        session.commit()
        return row.id
