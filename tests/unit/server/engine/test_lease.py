"""The lease renews this engine's claims, re-queues silent engines' ones, and fences this engine
off (pauses its transfers) when it cannot renew its claims."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db.models import QUEUED, STARTED, Download
from bassa_server._engine._lease import Lease

from .conftest import add_download


def _lease(url: str, taken: list[int], lost: list[bool], now: float = 100_000.0) -> Lease:
    return Lease(
        "me",
        url,
        heartbeat_seconds=3600.0,  # the thread never beats on its own during a test
        claim_timeout_seconds=3 * 3600.0,
        on_taken_over=taken.append,
        on_lost=lambda: lost.append(True),
        clock=lambda: now,
    )


def test_a_heartbeat_renews_own_claims_and_requeues_silent_engines_claims(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """One beat moves this engine's heartbeat to now and puts a silent engine's download back
    in the queue, telling the engine how many it re-queued."""
    mine = add_download(sessions, status=STARTED, claimed_by="me", heartbeat_time=10)
    dead = add_download(sessions, status=STARTED, claimed_by="dead", heartbeat_time=10)
    alive = add_download(sessions, status=STARTED, claimed_by="alive", heartbeat_time=99_990)
    taken: list[int] = []
    lost: list[bool] = []
    lease = _lease(f"sqlite:///{tmp_path / 'bassa.db'}", taken, lost)
    lease.start()
    try:
        assert lease.held()
    finally:
        lease.stop()
    with sessions() as session:
        rows = {row.id: row for row in session.query(Download)}
    assert (rows[mine].status, rows[mine].heartbeat_time) == (STARTED, 100_000)
    assert (rows[dead].status, rows[dead].claimed_by) == (QUEUED, None)
    assert (rows[alive].status, rows[alive].claimed_by) == (STARTED, "alive")
    assert taken == [1]
    assert lost == []


def test_an_engine_that_cannot_renew_its_claims_pauses_its_transfers(tmp_path: Path) -> None:
    """When no heartbeat has reached the database within the claim timeout less one heartbeat,
    the lease says so and pauses the transfers, once."""
    taken: list[int] = []
    lost: list[bool] = []
    unreachable = f"sqlite:///{tmp_path / 'missing-folder' / 'bassa.db'}"
    lease = _lease(unreachable, taken, lost)
    lease.start()
    try:
        lease.beat()
        assert not lease.held()
    finally:
        lease.stop()
    assert lost == [True]
    assert taken == []
