"""Getting past the volume quota by asking many times at once.

The attack: with a 1 MB quota and the queue paused, fire 200 adds in parallel. Every add sees
the quota unused (nothing has a size before aria2 learns it), so all are accepted; starting the
queue then downloads them all. The server withstands it by holding the quota in the engine too:
an owner over quota gets no download started, and when downloads running together push an owner
over, all but the first started are stopped. The bytes the source serves stay within the quota
plus one download.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.conftest import MakeServer
from tests.file_server import FileServer
from tests.integration.server.helpers import make_user
from tests.live_server import LiveServer
from tests.security._egress_support import (
    PUBLIC_HOST,
    guarded_env,
    http,
    metric,
    servers_on,
    start_queue,
    wait_until,
)

pytestmark = pytest.mark.integration

QUOTA = 1_000_000
FILE_BYTES = 250_000
FILE_RATE = 500_000  # bytes per second: each file takes half a second
ADDS = 200


@pytest.fixture(scope="module")
def source() -> Iterator[FileServer]:
    """A "public" file server (127.0.0.2) that counts the bytes it serves."""
    yield from servers_on(PUBLIC_HOST)


def test_a_burst_of_parallel_adds_downloads_no_more_than_the_quota_allows(
    make_server: MakeServer, source: FileServer
) -> None:
    """200 parallel adds under a 1 MB quota: at most quota + one file is ever downloaded."""
    server = make_server(guarded_env(BASSA_QUOTA_BYTES=str(QUOTA)))
    link = source.add("quota/file.bin", os.urandom(FILE_BYTES), bytes_per_second=FILE_RATE)
    _name, token = make_user(server)

    with httpx.Client(timeout=60.0, limits=httpx.Limits(max_connections=50)) as client:

        def add(_: int) -> int:
            response = client.post(
                f"{server.url}/api/download", json={"link": link}, headers={"token": token}
            )
            return response.status_code

        with ThreadPoolExecutor(max_workers=50) as pool:
            answers = list(pool.map(add, range(ADDS)))
    assert answers.count(200) + answers.count(400) == ADDS
    accepted = answers.count(200)
    start_queue(server)

    wait_until(lambda: _queue_settled(server), what="every download to finish or fail")

    assert source.bytes_sent <= QUOTA + FILE_BYTES
    assert _count(server, "completed") * FILE_BYTES <= QUOTA + FILE_BYTES
    assert _count(server, "error") >= accepted - (QUOTA + FILE_BYTES) // FILE_BYTES
    assert metric(server, "bassa_download_refusals_total", {"reason": "quota"}) >= 1
    again = http.post(f"{server.url}/api/download", json={"link": link}, headers={"token": token})
    assert again.status_code == 400
    assert again.json()["quota"] == "exceeded"


def _count(server: LiveServer, status: str) -> float:
    return metric(server, "bassa_downloads", {"status": status})


def _queue_settled(server: LiveServer) -> bool:
    return _count(server, "queued") == 0 and _count(server, "started") == 0
