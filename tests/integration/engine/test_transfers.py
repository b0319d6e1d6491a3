"""The engine downloads through a real aria2c: success, failure, kill/start and concurrency."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import delete, update

from bassa_server._db.models import COMPLETED, DELETED, ERROR, STARTED, Download, User
from bassa_server._engine._rpc import Aria2Rpc
from tests.file_server import FileServer
from tests.waiting import wait_for_async

from .conftest import EngineFactory
from .harness import OWNER

pytestmark = pytest.mark.integration


async def test_a_queued_link_is_downloaded_with_identical_bytes(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """A queued link ends completed, with the same bytes, real size, name and relative path."""
    data = os.urandom(1_500_000)
    url = file_server.add("success/report.pdf", data)
    async with running_engine() as harness:
        download_id = harness.queue(url)
        harness.set_queue(running=True)
        row = await harness.wait_row(download_id, lambda row: row.status == COMPLETED)
        assert row.path == f"{download_id}/report.pdf"
        assert (harness.settings.downloads_dir / row.path).read_bytes() == data
        assert (row.size, row.completed_length, row.download_name) == (
            len(data),
            len(data),
            "report.pdf",
        )
        assert row.completed_time >= (row.started_time or 0) > 0
        assert row.claimed_by is None
        await wait_for_async(lambda: harness.metric("bassa_downloaded_bytes_total") == len(data))
        assert harness.metric("bassa_download_results_total", outcome="completed") == 1


async def test_a_missing_source_ends_in_error_with_the_reason(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """A link answering 404 ends with status 4 and aria2's reason, and leaves no files."""
    async with running_engine() as harness:
        download_id = harness.queue(file_server.url_for("missing/nothing.bin"))
        harness.set_queue(running=True)
        row = await harness.wait_row(download_id, lambda row: row.status == ERROR)
        assert row.error is not None
        assert "not found" in row.error.lower()
        assert not (harness.settings.downloads_dir / str(download_id)).exists()
        await wait_for_async(
            lambda: harness.metric("bassa_download_results_total", outcome="error")
        )


async def test_kill_pauses_running_transfers_and_start_resumes_them(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """Pausing the queue pauses a running transfer in aria2; starting resumes it where it was."""
    data = os.urandom(1_000_000)
    url = file_server.add("pause/slow.bin", data, bytes_per_second=200_000)
    async with running_engine() as harness:
        download_id = harness.queue(url)
        harness.set_queue(running=True)
        row = await harness.wait_row(download_id, lambda row: row.completed_length > 0)
        assert row.status == STARTED and row.gid
        gid = row.gid
        rpc = harness.engine.aria2.rpc

        harness.set_queue(running=False)
        harness.set_queue(running=False)  # pausing a paused queue changes nothing
        await wait_for_async(lambda: _aria2_status_is(rpc, gid, "paused"))
        row = await harness.wait_row(download_id, lambda row: row.download_speed == 0)
        assert row.status == STARTED

        file_server.throttle("pause/slow.bin", None)
        harness.set_queue(running=True)
        row = await harness.wait_row(download_id, lambda row: row.status == COMPLETED)
        assert (harness.settings.downloads_dir / (row.path or "")).read_bytes() == data
        assert any(_range_start(header) > 0 for header in file_server.ranges_for("pause/slow.bin"))


async def test_downloads_run_at_most_max_concurrent_at_once(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """With max_concurrent_downloads=2, four queued links run two at a time and all complete."""
    payloads = {f"many/{n}.bin": os.urandom(200_000) for n in range(4)}
    urls = [
        file_server.add(name, data, bytes_per_second=400_000) for name, data in payloads.items()
    ]
    async with running_engine(max_concurrent_downloads=2) as harness:
        ids = [harness.queue(url) for url in urls]
        harness.set_queue(running=True)
        most_at_once = 0

        def all_completed() -> bool:
            nonlocal most_at_once
            statuses = [harness.row(download_id).status for download_id in ids]
            most_at_once = max(most_at_once, statuses.count(STARTED))
            return statuses.count(COMPLETED) == len(ids)

        await wait_for_async(all_completed)
        assert most_at_once == 2
        for download_id, data in zip(ids, payloads.values(), strict=True):
            row = harness.row(download_id)
            assert (harness.settings.downloads_dir / (row.path or "")).read_bytes() == data


async def test_a_file_larger_than_max_download_bytes_is_aborted(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """A download whose size exceeds max_download_bytes ends in error and leaves no file."""
    url = file_server.add("big/too-big.iso", os.urandom(300_000))
    async with running_engine(max_download_bytes=100_000) as harness:
        download_id = harness.queue(url)
        harness.set_queue(running=True)
        row = await harness.wait_row(download_id, lambda row: row.status == ERROR)
        assert "max_download_bytes" in (row.error or "")
        assert "300000 > 100000" in (row.error or "")
        assert not (harness.settings.downloads_dir / str(download_id)).exists()


async def test_no_download_starts_while_free_space_is_below_min_free_bytes(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """The free-disk guard keeps queued downloads queued while the volume is too full."""
    url = file_server.add("guard/file.bin", b"x" * 1000)
    async with running_engine(min_free_bytes=2**62) as harness:
        download_id = harness.queue(url)
        harness.set_queue(running=True)
        await harness.engine.run_once()
        await harness.engine.run_once()
        assert harness.row(download_id).status == 0
        assert file_server.ranges_for("guard/file.bin") == []


async def test_a_started_download_whose_owner_is_deleted_is_removed_from_aria2(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """When a started download's row disappears (its owner was deleted), aria2 stops fetching it."""
    url = file_server.add("gone/slow.bin", os.urandom(1_000_000), bytes_per_second=100_000)
    async with running_engine() as harness:
        download_id = harness.queue(url)
        harness.set_queue(running=True)
        row = await harness.wait_row(download_id, lambda row: row.gid is not None)
        gid = row.gid or ""
        rpc = harness.engine.aria2.rpc
        with harness.sessions() as session:  # deleting a user cascades to their downloads
            session.execute(delete(User).where(User.user_name == OWNER))
            session.commit()
        assert harness.sessions().get(Download, download_id) is None
        await wait_for_async(lambda: _aria2_forgot(rpc, gid))


async def _aria2_status_is(rpc: Aria2Rpc, gid: str, status: str) -> bool:
    return (await rpc.tell_status(gid)).status == status


async def _aria2_forgot(rpc: Aria2Rpc, gid: str) -> bool:
    return gid not in await rpc.gids()


def _range_start(header: str | None) -> int:
    if not header or not header.startswith("bytes="):
        return 0
    first = header.removeprefix("bytes=").split("-", 1)[0]
    return int(first) if first else 0


async def test_retention_removes_old_unrated_files_and_keeps_rated_and_recent_ones(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """With retention_days=7, a restarted engine deletes the old unrated file and keeps the rest."""
    names = ("old-unrated", "old-rated", "recent")
    urls = [file_server.add(f"keep/{name}.bin", name.encode() * 1000) for name in names]
    async with running_engine() as harness:
        ids = dict(zip(names, [harness.queue(url) for url in urls], strict=True))
        harness.set_queue(running=True)
        for download_id in ids.values():
            await harness.wait_row(download_id, lambda row: row.status == COMPLETED)
    month_ago = int(time.time()) - 30 * 24 * 3600
    with harness.sessions() as session:
        for name, rating in (("old-unrated", 0), ("old-rated", 5)):
            session.execute(
                update(Download)
                .where(Download.id == ids[name])
                .values(completed_time=month_ago, rating=rating)
            )
        session.commit()

    async with running_engine(retention_days=7, retention_min_rating=3) as harness:
        await harness.wait_row(ids["old-unrated"], lambda row: row.status == DELETED)
        downloads = harness.settings.downloads_dir
        assert not (downloads / str(ids["old-unrated"])).exists()
        for kept in ("old-rated", "recent"):
            row = harness.row(ids[kept])
            assert row.status == COMPLETED
            assert (downloads / (row.path or "")).read_bytes() == kept.encode() * 1000


async def test_a_finished_transfer_refills_its_slot_without_waiting_for_the_poll(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """With a 60 s poll and 2 slots, six small downloads all complete within seconds: each
    finished transfer wakes the scheduler, which records it and fills the freed slot at once."""
    names = [f"refill/{index}.bin" for index in range(6)]
    payloads = {name: os.urandom(2048) for name in names}
    async with running_engine(engine_poll_seconds=60, max_concurrent_downloads=2) as harness:
        ids = [harness.queue(file_server.add(name, data)) for name, data in payloads.items()]
        harness.set_queue(running=True)
        started = time.monotonic()
        rows = [
            await harness.wait_row(download_id, lambda row: row.status == COMPLETED, within=20)
            for download_id in ids
        ]
        drained = time.monotonic() - started
    assert drained < 20  # three rounds of two: a poll-driven engine would need two minutes
    for row, name in zip(rows, names, strict=True):
        assert (harness.settings.downloads_dir / (row.path or "")).read_bytes() == payloads[name]
