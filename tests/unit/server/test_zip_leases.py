"""Zip jobs under leases, as two replicas sharing a database see them, on an injected clock.

Two `ZipJobs` with different owners stand for two replicas; the database is a migrated SQLite
file and the zips folder a temporary one. Nothing sleeps: time moves by setting the clock.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._db import migrate
from bassa_server._db.engine import make_engine, make_session_factory
from bassa_server._db.models import JOB_DONE, JOB_ERROR, JOB_RUNNING, CompressionJob
from bassa_server._zips import LEASE_SECONDS, ZipJobs, zip_path

T = TypeVar("T")
PROCESS_ID = "ab" * 32


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Shared:
    """The database, zips folder and clock the replicas share, and a file to zip."""

    def __init__(self, tmp_path: Path) -> None:
        engine = make_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
        migrate.upgrade(engine)
        self.sessions: sessionmaker[Session] = make_session_factory(engine)
        self.zips = tmp_path / "zips"
        self.zips.mkdir()
        self.source = tmp_path / "a.txt"
        self.source.write_bytes(b"the bytes of a")
        self.clock = Clock()

    async def run_db(self, work: Callable[[Session], T]) -> T:
        def transaction() -> T:
            with self.sessions() as session, session.begin():
                return work(session)

        return await asyncio.to_thread(transaction)

    def replica(self, owner: str) -> ZipJobs:
        """A replica's zip jobs (not started: the tests drive it)."""
        return ZipJobs(self.zips, 3600, self.run_db, self.clock, owner=owner)

    async def claim(self, jobs: ZipJobs) -> int:
        """`jobs` claims a new job zipping the source; the attempt."""
        now = int(self.clock())
        attempt = await self.run_db(
            lambda session: jobs.claim(
                session,
                None,
                process_id=PROCESS_ID,
                gids=["g1"],
                user_name=None,
                files=[("a.txt", self.source)],
                now=now,
            )
        )
        assert attempt is not None
        return attempt

    def job(self) -> tuple[str, int, str | None, int | None]:
        """The job's status, attempt, owner and lease."""
        with self.sessions() as session:
            job = session.scalars(select(CompressionJob)).one()
            return job.status, job.attempt, job.owner, job.lease_expires


@pytest.fixture
def shared(tmp_path: Path) -> Shared:
    """A fresh shared database and zips folder."""
    return Shared(tmp_path)


async def test_a_job_under_a_running_lease_is_left_to_its_builder(shared: Shared) -> None:
    """Another replica looking for dead builds leaves a job whose lease still runs alone."""
    builder, other = shared.replica("a"), shared.replica("b")
    await shared.claim(builder)
    shared.clock.now += LEASE_SECONDS - 1

    assert await other.take_over() == 0
    assert shared.job()[:3] == (JOB_RUNNING, 1, "a")


async def test_a_lapsed_job_is_taken_over_by_one_replica_and_built(shared: Shared) -> None:
    """Once its lease has run out, exactly one of two replicas takes the job over and builds
    it as a new attempt."""
    await shared.claim(shared.replica("dead"))
    shared.clock.now += LEASE_SECONDS + 1
    first, second = shared.replica("b"), shared.replica("c")

    taken = [await first.take_over(), await second.take_over()]
    await first.finished()

    assert taken == [1, 0]
    assert shared.job()[:3] == (JOB_DONE, 2, "b")
    with zipfile.ZipFile(zip_path(shared.zips, PROCESS_ID)) as archive:
        assert archive.read("a.txt") == b"the bytes of a"


async def test_a_builder_that_lost_its_job_records_nothing(shared: Shared) -> None:
    """A builder whose job another replica took over (its lease lapsed) does not record its
    result, not even a failure after the new owner finished the zip."""
    stale, heir = shared.replica("stale"), shared.replica("heir")
    attempt = await shared.claim(stale)
    shared.clock.now += LEASE_SECONDS + 1
    assert await heir.take_over() == 1
    await heir.finished()

    stale.submit(PROCESS_ID, attempt, [("a.txt", Path("/nonexistent/gone.txt"))])
    await stale.finished()

    assert shared.job()[:3] == (JOB_DONE, 2, "heir")


async def test_stopping_releases_the_lease_for_another_replica(shared: Shared) -> None:
    """A replica that stops hands its running jobs over: another replica takes them at once,
    without waiting for the lease to run out."""
    leaving, other = shared.replica("leaving"), shared.replica("other")
    await shared.claim(leaving)

    await leaving.stop()

    assert shared.job()[3] == 0
    assert await other.take_over() == 1
    await other.finished()
    assert shared.job()[:3] == (JOB_DONE, 2, "other")


async def test_a_job_without_recorded_files_is_failed_with_a_reason(shared: Shared) -> None:
    """A running job left by a server that recorded no files cannot be rebuilt: it ends as an
    error asking for it again, which rebuilds it."""
    await shared.run_db(
        lambda session: session.add(
            CompressionJob(process_id=PROCESS_ID, gids=json.dumps(["g1"]), created_time=1)
        )
    )

    assert await shared.replica("b").take_over() == 1

    with shared.sessions() as session:
        job = session.scalars(select(CompressionJob)).one()
    assert (job.status, job.attempt) == (JOB_ERROR, 1)
    assert job.error is not None and "ask again" in job.error


async def test_the_sweep_removes_partial_files_no_running_attempt_writes(shared: Shared) -> None:
    """Partial files of earlier attempts are removed; the current attempt's is kept."""
    builder = shared.replica("a")
    await shared.claim(builder)
    current = shared.zips / f".{PROCESS_ID}.1-0000.part"
    earlier = shared.zips / f".{PROCESS_ID}.0-1111.part"
    unknown = shared.zips / f".{'cd' * 32}.3-2222.part"
    for path in (current, earlier, unknown):
        path.write_bytes(b"partial")

    await builder.sweep()

    assert sorted(p.name for p in shared.zips.iterdir()) == [current.name]


async def test_a_build_whose_file_is_gone_fails_without_naming_server_paths(
    shared: Shared,
) -> None:
    """A build that cannot read a file ends as an error that says so, without the path."""
    builder = shared.replica("a")
    attempt = await shared.claim(builder)

    builder.submit(PROCESS_ID, attempt, [("a.txt", Path("/nonexistent/gone.txt"))])
    await builder.finished()

    with shared.sessions() as session:
        job = session.scalars(select(CompressionJob)).one()
    assert (job.status, job.error) == (
        JOB_ERROR,
        "could not build the zip: a download's file is gone",
    )
    assert not list(shared.zips.iterdir())
