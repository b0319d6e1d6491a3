"""`kill -9` of aria2c or of the server mid-download loses nothing: the download completes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from bassa_server._db.models import COMPLETED
from tests.file_server import FileServer

from .conftest import EngineFactory
from .harness import Harness, engine_settings, set_queue_state, wait_for

REPOSITORY = Path(__file__).resolve().parents[3]


def _resumed(file_server: FileServer, name: str) -> bool:
    """Whether some request for `name` asked for a range starting after byte 0."""
    for header in file_server.ranges_for(name):
        first = (header or "").removeprefix("bytes=").split("-", 1)[0]
        if first.isdigit() and int(first) > 0:
            return True
    return False


def _running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


async def test_a_killed_aria2c_is_restarted_and_the_download_completes(
    running_engine: EngineFactory, file_server: FileServer
) -> None:
    """After `kill -9` of aria2c the engine restarts it, counts it and finishes the download."""
    data = os.urandom(1_500_000)
    url = file_server.add("crash/aria2.bin", data, bytes_per_second=300_000)
    async with running_engine() as harness:
        download_id = harness.queue(url)
        harness.set_queue(running=True)
        await harness.wait_row(download_id, lambda row: row.completed_length >= 300_000)
        aria2 = harness.engine.aria2
        old_pid = getattr(aria2, "pid", None)
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)

        await wait_for(lambda: harness.metric("bassa_aria2_restarts_total") == 1)
        file_server.throttle("crash/aria2.bin", None)
        row = await harness.wait_row(download_id, lambda row: row.status == COMPLETED)
        assert getattr(aria2, "pid", None) not in {None, old_pid}
        assert (harness.settings.downloads_dir / (row.path or "")).read_bytes() == data
        assert _resumed(file_server, "crash/aria2.bin")
        await wait_for(lambda: harness.metric("bassa_aria2_up") == 1)


async def test_a_killed_server_resumes_its_downloads_after_restart(
    tmp_path: Path, file_server: FileServer
) -> None:
    """After `kill -9` of the server process the restarted server completes the download."""
    data = os.urandom(1_500_000)
    url = file_server.add("crash/server.bin", data, bytes_per_second=300_000)
    data_dir = tmp_path / "data"
    harness = Harness(engine_settings(data_dir))  # the database the server processes share
    download_id = harness.queue(url)
    set_queue_state(harness.sessions, running=True)
    command = ["-m", "tests.integration.engine.engine_process", str(data_dir)]

    first = await asyncio.create_subprocess_exec(sys.executable, *command, cwd=REPOSITORY)
    try:
        await harness.wait_row(download_id, lambda row: row.completed_length >= 300_000)
        aria2c_pid = int((data_dir / "aria2" / "aria2c.pid").read_text())
    finally:
        first.kill()
        await first.wait()
    # the orphaned aria2c notices its server is gone and exits by itself
    await wait_for(lambda: not _running(aria2c_pid), within=10)
    file_server.throttle("crash/server.bin", None)
    second = await asyncio.create_subprocess_exec(sys.executable, *command, cwd=REPOSITORY)
    try:
        row = await harness.wait_row(download_id, lambda row: row.status == COMPLETED)
    finally:
        second.terminate()
        assert await asyncio.wait_for(second.wait(), 15) == 0
    assert (data_dir / "downloads" / (row.path or "")).read_bytes() == data
    assert _resumed(file_server, "crash/server.bin")
