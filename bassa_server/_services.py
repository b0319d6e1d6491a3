"""What every handler needs, built once per app: settings, database, token codecs, metrics.

Database work runs in a worker thread through `run_db`, one short transaction per call: the API
uses synchronous SQLAlchemy (the engine factory serves SQLite, MySQL and PostgreSQL alike) and never
blocks the event loop on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import anyio.to_thread
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._auth import SessionTokens, ShareTokens
from bassa_server._config import Settings

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
    engine: Engine
    sessions: sessionmaker[Session]
    tokens: SessionTokens
    shares: ShareTokens
    registry: CollectorRegistry
    clock: Callable[[], float] = time.time
    lifespan_services: list[LifespanService] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> int:
        """The current time in whole Unix seconds."""
        return int(self.clock())

    async def run_db(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a worker thread inside one committed transaction and return its result."""

        def transaction() -> T:
            with self.sessions() as session, session.begin():
                return work(session)

        return await anyio.to_thread.run_sync(transaction)
