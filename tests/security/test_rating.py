"""Rating what one cannot see: another user's queued or failed downloads are as good as missing.

Rating answered 200 for any existing id and 404 for a missing one, so ratings could probe which
ids exist and change the rating of downloads the caller never saw.
"""

from __future__ import annotations

import pytest

from tests.conftest import MakeServer
from tests.integration.server.helpers import (
    complete_download,
    conforms,
    fail_download,
    http,
    make_user,
    queue_download,
    start_download,
)
from tests.live_server import LiveServer
from tests.security._http_support import shared_server

pytestmark = pytest.mark.integration
MISSING = 999_999_999


@pytest.fixture(scope="module")
def server(make_server: MakeServer) -> LiveServer:
    """The security tests' shared server."""
    return shared_server(make_server)


def rate(server: LiveServer, token: str, download_id: int, value: int = 5) -> tuple[int, object]:
    """Rate a download; (status, documented JSON body)."""
    response = http.post(
        f"{server.url}/api/download/rate/{download_id}",
        json={"rate": value},
        headers={"token": token},
    )
    return response.status_code, conforms(response, "rate_download")


def test_another_users_unfinished_downloads_answer_like_missing_ids(server: LiveServer) -> None:
    """Rating someone else's queued, running or failed download answers exactly as a missing
    id does, and changes nothing."""
    _, alice = make_user(server)
    _, mallory = make_user(server)
    queued = queue_download(server, alice, "https://example.org/private-queued.bin")
    running = queue_download(server, alice, "https://example.org/private-running.bin")
    start_download(server, running)
    failed = queue_download(server, alice, "https://example.org/private-failed.bin")
    fail_download(server, failed, "gone")
    missing = rate(server, mallory, MISSING)
    assert missing == (404, {"error": "download not found"})
    for download_id in (queued, running, failed):
        assert rate(server, mallory, download_id) == missing
    own = http.get(f"{server.url}/api/user/downloads/1", headers={"token": alice}).json()
    assert [row["rating"] for row in own] == [0, 0, 0]


def test_own_downloads_and_the_shared_library_may_be_rated(server: LiveServer) -> None:
    """The owner rates their own queued download, and anyone rates a completed one."""
    _, alice = make_user(server)
    _, bob = make_user(server)
    queued = queue_download(server, alice, "https://example.org/mine.bin")
    assert rate(server, alice, queued, 4) == (200, {"status": "success", "rating": 4})
    shared = queue_download(server, alice, "https://example.org/shared.bin")
    complete_download(server, shared, f"shared-{shared}.bin", b"shared")
    assert rate(server, bob, shared, 2) == (200, {"status": "success", "rating": 2})
