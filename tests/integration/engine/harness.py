"""A real engine on a temporary SQLite database, for tests that drive the engine directly.

These tests run the engine without the HTTP side: a real aria2c, a real database, the real
scheduler; only the API requests are replaced by the rows they would write.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._config import Settings
from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import QUEUE_PAUSED, QUEUE_RUNNING, Download, QueueState, User
from bassa_server._engine import DownloadEngine
from tests.waiting import WAIT_SECONDS, wait_for_async

OWNER = "alice"


def engine_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test engine: quick polls, a test data folder, nothing from the environment,
    and the loopback file server's address let through the egress proxy. SQLite in the data
    folder unless `database_url=` names another database (e.g. from `database_servers`)."""
    given: dict[str, Any] = {
        "data_dir": data_dir,
        "engine_poll_seconds": 0.1,
        "min_free_bytes": 0,
        "allowed_private_networks": ("127.0.0.1/32",),
    }
    return Settings.load({**given, **overrides}, environ={})


def prepare_database(settings: Settings) -> sessionmaker[Session]:
    """Migrate the database and add the owner of the test downloads; return a session factory."""
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions() as session:
        if session.get(User, OWNER) is None:
            session.add(User(user_name=OWNER, password_hash="-", email="alice@example.org"))
            session.commit()
    return sessions


class Harness:
    """An engine plus helpers to queue links, flip the queue and wait for outcomes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sessions = prepare_database(settings)
        self.registry = CollectorRegistry()
        self.engine = DownloadEngine(settings, self.sessions, self.registry)

    def queue(self, link: str, name: str = "") -> int:
        """Queue `link` as the API would; return the download id."""
        with self.sessions() as session:
            row = Download(
                link=link, user_name=OWNER, download_name=name, added_time=int(time.time())
            )
            session.add(row)
            session.commit()
            return row.id

    def set_queue(self, running: bool) -> None:
        """Start or pause the queue as the API would, and wake the engine."""
        set_queue_state(self.sessions, running)
        self.engine.wake()

    def row(self, download_id: int) -> Download:
        """The download's row as stored now."""
        with self.sessions() as session:
            row = session.get(Download, download_id)
            assert row is not None
            return row

    async def wait_row(
        self, download_id: int, check: Callable[[Download], bool], within: float = WAIT_SECONDS
    ) -> Download:
        """Poll the row until `check` holds; fail after `within` seconds."""
        row: Download = await wait_for_async(
            lambda: _checked(self.row(download_id), check), within=within, what="row check"
        )
        return row

    def metric(self, name: str, **labels: str) -> float:
        """A sample from the engine's registry (0 when absent)."""
        return self.registry.get_sample_value(name, labels) or 0.0


def set_queue_state(sessions: sessionmaker[Session], running: bool) -> None:
    """Write the shared queue state row."""
    with sessions() as session:
        state = QUEUE_RUNNING if running else QUEUE_PAUSED
        session.execute(update(QueueState).where(QueueState.id == 1).values(state=state))
        session.commit()


def process_running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _checked(row: Download, check: Callable[[Download], bool]) -> Download | None:
    return row if check(row) else None
