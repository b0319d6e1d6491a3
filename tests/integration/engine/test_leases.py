"""Engines sharing one database keep their claims while busy and never write beside each other.

Each test runs once per database `--databases` selects (SQLite, PostgreSQL, MariaDB), with
short heartbeats (0.5 s) and claim timeouts (3 s) so a takeover happens within seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from bassa_server._db.engine import make_engine
from bassa_server._db.models import COMPLETED, STARTED, Download
from bassa_server._lifecycle._retention import DAY_SECONDS
from tests.conftest import DatabaseServers
from tests.file_server import FileServer
from tests.waiting import wait_for_async

from .harness import OWNER, Harness, engine_settings, prepare_database

HEARTBEAT_SECONDS = 0.5
CLAIM_TIMEOUT_SECONDS = 3.0
EXPIRED_ROWS = 40_000


@pytest.fixture
def shared_database(database: str, database_servers: DatabaseServers, tmp_path: Path) -> str:
    """The URL of one database several engines share."""
    return database_servers.new_database(database) or f"sqlite:///{tmp_path / 'shared.db'}"


def _settings(root: Path, name: str, database_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "data_dir": root / name,
        "database_url": database_url,
        "downloads_dir": root / "shared-downloads",
        "engine_heartbeat_seconds": HEARTBEAT_SECONDS,
        "engine_claim_timeout_seconds": CLAIM_TIMEOUT_SECONDS,
        **overrides,
    }


@contextlib.asynccontextmanager
async def _engine(options: dict[str, Any]) -> AsyncIterator[Harness]:
    overrides = {key: value for key, value in options.items() if key != "data_dir"}
    harness = Harness(engine_settings(options["data_dir"], **overrides))
    await harness.engine.start()
    try:
        yield harness
    finally:
        await harness.engine.stop()


async def test_heartbeats_keep_coming_while_retention_sweeps_many_rows(
    shared_database: str, file_server: FileServer, tmp_path: Path
) -> None:
    """While the engine's retention sweep removes tens of thousands of expired rows, the claim
    of a running download is renewed well within the claim timeout and never taken from it."""
    options = _settings(tmp_path, "a", shared_database, retention_days=1)
    url = file_server.add("lease/busy.bin", os.urandom(2_000_000), bytes_per_second=20_000)
    prepare_database(engine_settings(options["data_dir"], database_url=shared_database))
    _add_expired_rows(shared_database, EXPIRED_ROWS)
    # (wall clock before the read, the row's heartbeat_time, its owner), every 50 ms
    beats: list[tuple[float, int, str | None]] = []
    async with _engine(options) as harness:
        download_id = harness.queue(url)
        harness.set_queue(running=True)
        await harness.wait_row(download_id, lambda row: row.status == STARTED)
        swept_from = time.monotonic()
        while _expired_left(harness):
            seen = time.time()
            row = harness.row(download_id)
            beats.append((seen, row.heartbeat_time or 0, row.claimed_by))
            await asyncio.sleep(0.05)
        swept = time.monotonic() - swept_from
        engine_id = harness.engine.engine_id
    assert swept > 1.0, "the sweep was too short to show anything"
    assert {owner for _, _, owner in beats} == {engine_id}
    assert len({beat for _, beat, _ in beats}) >= 2, "the heartbeat never advanced"
    # another replica takes a claim over once `now - heartbeat_time` exceeds the timeout
    assert max(seen - beat for seen, beat, _ in beats) < CLAIM_TIMEOUT_SECONDS


def _add_expired_rows(database_url: str, count: int) -> None:
    """`count` completed downloads that finished ten days ago, unrated, in one statement."""
    database = make_engine(database_url)
    old = int(time.time()) - 10 * DAY_SECONDS
    row = {
        "link": "http://example.org/x",
        "user_name": OWNER,
        "added_time": old,
        "status": COMPLETED,
        "completed_time": old,
    }
    try:
        with database.begin() as connection:
            connection.execute(insert(Download), [row] * count)
    finally:
        database.dispose()


def _expired_left(harness: Harness) -> bool:
    with harness.sessions() as session:
        return (
            session.scalar(
                select(Download.id)
                .where(Download.status == COMPLETED, Download.link == "http://example.org/x")
                .limit(1)
            )
            is not None
        )


async def test_a_returning_engine_stops_what_was_taken_over_before_it_starts_anything(
    shared_database: str, file_server: FileServer, tmp_path: Path
) -> None:
    """Engine A stops mid-download; B takes the download over within the claim timeout and
    resumes it; A comes back with the download in its aria2 session and drops it without
    fetching a byte, and the file completes once, byte-identical."""
    data = os.urandom(1_000_000)
    name = "lease/taken-over.bin"
    url = file_server.add(name, data, bytes_per_second=100_000)
    first = _settings(tmp_path, "a", shared_database)
    second = _settings(tmp_path, "b", shared_database)
    async with _engine(first) as engine_a:
        download_id = engine_a.queue(url)
        engine_a.set_queue(running=True)
        await engine_a.wait_row(download_id, lambda row: row.completed_length >= 100_000)
        a_id = engine_a.engine.engine_id
    stopped = time.monotonic()
    async with _engine(second) as engine_b:
        b_id = engine_b.engine.engine_id
        await engine_b.wait_row(download_id, lambda row: row.claimed_by == b_id)
        takeover = time.monotonic() - stopped
        await engine_b.wait_row(download_id, lambda row: row.completed_length >= 300_000)
        requests_before_return = len(file_server.ranges_for(name))
        async with _engine(first) as returned:
            assert returned.engine.engine_id == a_id
            aria2 = returned.engine.aria2.rpc
            await wait_for_async(lambda: _holds_nothing(aria2), what="A dropped its transfer")
            file_server.throttle(name, None)
            row = await engine_b.wait_row(download_id, lambda row: row.status == COMPLETED)
    assert takeover < CLAIM_TIMEOUT_SECONDS + 10 * HEARTBEAT_SECONDS
    # the returning A asked the source for nothing: every request was A's before it stopped or B's
    assert len(file_server.ranges_for(name)) == requests_before_return
    assert (engine_b.settings.downloads_dir / (row.path or "")).read_bytes() == data


async def _holds_nothing(rpc: Any) -> bool:
    return not await rpc.gids()
