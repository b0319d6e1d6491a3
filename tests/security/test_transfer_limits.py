"""Filling the disk through a source that never says how big it is.

The attack: a link to a source that streams chunked, without a Content-Length, far more than
`BASSA_MAX_DOWNLOAD_BYTES`; aria2 reports a total of 0, so a limit on the announced size never
fires. The server withstands it by holding the limit against the bytes actually written: the
transfer is stopped, marked failed with the reason, and its partial file deleted.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.conftest import MakeServer
from tests.file_server import FileServer
from tests.integration.server.helpers import make_user, queue_download
from tests.live_server import LiveServer
from tests.security._egress_support import (
    PUBLIC_HOST,
    guarded_env,
    http,
    metric,
    servers_on,
    start_queue,
    wait_finished,
)

pytestmark = pytest.mark.integration

LIMIT = 1024 * 1024
FLOOD = 16 * LIMIT
FLOOD_RATE = 8 * LIMIT  # per second: the old engine let all 16 MiB through in two seconds


@pytest.fixture(scope="module")
def source() -> Iterator[FileServer]:
    """A "public" file server (127.0.0.2) for this module's chunked streams."""
    yield from servers_on(PUBLIC_HOST)


@pytest.fixture(scope="module")
def limited(make_server: MakeServer) -> LiveServer:
    """A server with a 1 MiB download limit, its queue started."""
    server = make_server(guarded_env(BASSA_MAX_DOWNLOAD_BYTES=str(LIMIT)))
    start_queue(server)
    return server


def test_a_chunked_flood_is_stopped_at_the_limit_and_its_file_deleted(
    limited: LiveServer, source: FileServer
) -> None:
    """16 MiB chunked with no Content-Length against a 1 MiB limit: stopped, failed, deleted."""
    link = source.add("flood.bin", os.urandom(FLOOD), bytes_per_second=FLOOD_RATE, chunked=True)
    _name, token = make_user(limited)
    download_id = queue_download(limited, token, link)

    status = wait_finished(limited, token, download_id)

    assert status["status"] == 4, status
    assert source.bytes_sent < FLOOD // 2  # stopped early, not when the source ran dry
    assert "max_download_bytes" in status["error"]
    assert not (limited.data_dir / "downloads" / str(download_id)).exists()
    assert metric(limited, "bassa_download_refusals_total", {"reason": "max_size"}) >= 1
    fetched = http.get(f"{limited.url}/api/download/{download_id}", headers={"token": token})
    assert fetched.status_code == 404


def test_a_chunked_file_under_the_limit_completes(limited: LiveServer, source: FileServer) -> None:
    """The limit is on bytes, not on chunked sources: a small chunked file downloads whole."""
    data = os.urandom(LIMIT // 4)
    link = source.add("small-chunked.bin", data, chunked=True)
    _name, token = make_user(limited)
    download_id = queue_download(limited, token, link)

    assert wait_finished(limited, token, download_id)["status"] == 3
    fetched = http.get(f"{limited.url}/api/download/{download_id}", headers={"token": token})
    assert fetched.content == data
