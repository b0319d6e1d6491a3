"""Claims on the shared database: each queued download has exactly one owner."""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db.models import QUEUED, STARTED, Download
from bassa_server._lifecycle import _transfers as transfers

from .conftest import add_download


def test_replicas_claiming_at_once_never_share_a_download(
    sessions: sessionmaker[Session],
) -> None:
    """Four engines racing for 40 queued downloads claim each one exactly once."""
    ids = [add_download(sessions, added_time=n) for n in range(40)]
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(4)

    def replica(name: str) -> None:
        barrier.wait()
        mine: list[int] = []
        while batch := transfers.claim(sessions, name, 3, now=100):
            mine += [transfer.id for transfer in batch]
        claimed[name] = mine

    threads = [threading.Thread(target=replica, args=(f"engine-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every_claim = [download_id for mine in claimed.values() for download_id in mine]
    assert sorted(every_claim) == ids
    with sessions() as session:
        for name, mine in claimed.items():
            for download_id in mine:
                row = session.get(Download, download_id)
                assert row is not None
                assert (row.status, row.claimed_by, row.heartbeat_time) == (STARTED, name, 100)


def test_claims_take_the_oldest_queued_downloads_first(
    sessions: sessionmaker[Session],
) -> None:
    """A claim takes queued downloads in the order they were added, up to the limit."""
    newer = add_download(sessions, added_time=20)
    older = add_download(sessions, added_time=10)
    add_download(sessions, added_time=5, status=STARTED, claimed_by="other", heartbeat_time=99)
    assert [t.id for t in transfers.claim(sessions, "me", 1, now=100)] == [older]
    assert [t.id for t in transfers.claim(sessions, "me", 5, now=100)] == [newer]


def test_only_claims_of_silent_replicas_are_taken_over(
    sessions: sessionmaker[Session],
) -> None:
    """Downloads of a replica silent since before the cutoff go back to the queue; others stay."""
    dead = add_download(
        sessions, status=STARTED, claimed_by="dead", heartbeat_time=10, gid="00000000000000aa"
    )
    alive = add_download(sessions, status=STARTED, claimed_by="alive", heartbeat_time=95)
    mine = add_download(sessions, status=STARTED, claimed_by="me", heartbeat_time=10)

    assert transfers.take_over_stale(sessions, "me", cutoff=50) == 1

    def owner(download_id: int) -> tuple[int, str | None, str | None]:
        with sessions() as session:
            row = session.get(Download, download_id)
            assert row is not None
            return row.status, row.claimed_by, row.gid

    assert owner(dead) == (QUEUED, None, None)
    assert owner(alive) == (STARTED, "alive", None)
    assert owner(mine) == (STARTED, "me", None)


def test_a_replica_cannot_finish_a_download_it_does_not_own(
    sessions: sessionmaker[Session],
) -> None:
    """Completing or failing someone else's download changes nothing."""
    theirs = add_download(sessions, status=STARTED, claimed_by="other", heartbeat_time=1)
    assert not transfers.complete(sessions, theirs, "me", size=1, path="x/y", name="y", now=2)
    assert not transfers.fail(sessions, theirs, "me", "boom")
    with sessions() as session:
        row = session.get(Download, theirs)
        assert row is not None and (row.status, row.claimed_by) == (STARTED, "other")


def test_one_download_is_claimed_once_and_only_while_queued(
    sessions: sessionmaker[Session],
) -> None:
    """The first engine to claim a queued download gets it; a second engine, a started
    download and an unknown id get nothing."""
    download_id = add_download(sessions, added_time=1)
    first = transfers.claim_download(sessions, "engine-a", download_id, now=50)
    second = transfers.claim_download(sessions, "engine-b", download_id, now=51)
    assert first is not None and (first.id, first.started_time) == (download_id, 50)
    assert second is None
    assert transfers.claim_download(sessions, "engine-a", 999_999, now=52) is None
    with sessions() as session:
        row = session.get(Download, download_id)
        assert row is not None and (row.status, row.claimed_by) == (STARTED, "engine-a")
