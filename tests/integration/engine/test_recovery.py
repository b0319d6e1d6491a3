"""`kill -9` of aria2c mid-download loses nothing: the download completes, resumed.

(`kill -9` of the whole server is in test_api.py, through the real server process.)
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from bassa_server._db.models import COMPLETED
from tests.file_server import FileServer
from tests.waiting import wait_for_async

from .conftest import EngineFactory

pytestmark = pytest.mark.integration

REPOSITORY = Path(__file__).resolve().parents[3]


def _resumed(file_server: FileServer, name: str) -> bool:
    """Whether some request for `name` asked for a range starting after byte 0."""
    for header in file_server.ranges_for(name):
        first = (header or "").removeprefix("bytes=").split("-", 1)[0]
        if first.isdigit() and int(first) > 0:
            return True
    return False


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

        await wait_for_async(lambda: harness.metric("bassa_aria2_restarts_total") == 1)
        file_server.throttle("crash/aria2.bin", None)
        row = await harness.wait_row(download_id, lambda row: row.status == COMPLETED)
        assert getattr(aria2, "pid", None) not in {None, old_pid}
        assert (harness.settings.downloads_dir / (row.path or "")).read_bytes() == data
        assert _resumed(file_server, "crash/aria2.bin")
        await wait_for_async(lambda: harness.metric("bassa_aria2_up") == 1)
