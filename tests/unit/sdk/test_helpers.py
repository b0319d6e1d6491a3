"""Helpers users expect: every page of a listing, waiting for a download or a zip."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bassa_sdk import (
    DownloadFailedError,
    DownloadProgress,
    UnsupportedOperationError,
    WaitTimeoutError,
)
from tests.unit.sdk.conftest import download_row, make_async_client, make_client, reply


def _paged(total: int) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.path.rsplit("/", 1)[1])
        ids = range((page - 1) * 15 + 1, min(page * 15, total) + 1)
        return reply(200, [download_row(i) for i in ids])

    return handler


def test_iter_walks_every_page_until_an_empty_one() -> None:
    """40 downloads come back in order over pages 1-3; page 4 is empty and ends it."""
    client, recorder = make_client(_paged(40))
    assert [d.id for d in client.downloads.iter()] == list(range(1, 41))
    assert recorder.paths == [f"/api/user/downloads/{page}" for page in (1, 2, 3, 4)]


def test_iter_completed_uses_the_library_listing() -> None:
    """iter_completed reads /api/downloads/{page}."""
    client, recorder = make_client(_paged(15))
    assert len(list(client.downloads.iter_completed())) == 15
    assert recorder.paths == ["/api/downloads/1", "/api/downloads/2"]


async def test_async_iter_walks_every_page() -> None:
    """The async iterator yields the same rows."""
    client, _ = make_async_client(_paged(31))
    assert [d.id async for d in client.downloads.iter()] == list(range(1, 32))


def _progress(status: int, done: int, error: str | None = None) -> dict[str, Any]:
    return {
        "id": 4,
        "status": status,
        "completed_length": done,
        "total_length": 100,
        "download_speed": 10,
        "error": error,
    }


def test_wait_reports_progress_until_completed() -> None:
    """wait() polls the status extension and hands every state to the callback."""
    states = [_progress(0, 0), _progress(1, 40), _progress(1, 90), _progress(3, 100)]
    client, recorder = make_client(lambda request: reply(200, states.pop(0)))
    seen: list[DownloadProgress] = []
    final = client.downloads.wait(4, poll_interval=0, progress=seen.append)
    assert final.status == 3
    assert [p.completed_length for p in seen] == [0, 40, 90, 100]
    assert set(recorder.paths) == {"/api/download/4/status"}


def test_wait_raises_when_the_download_fails() -> None:
    """A download that reaches status 4 raises DownloadFailedError with the server's reason."""
    client, _ = make_client(lambda request: reply(200, _progress(4, 10, "404 from origin")))
    with pytest.raises(DownloadFailedError, match="404 from origin") as caught:
        client.downloads.wait(4, poll_interval=0)
    assert caught.value.reason == "404 from origin"


def test_wait_times_out() -> None:
    """A download still running when the wait's time is up raises WaitTimeoutError."""
    client, recorder = make_client(lambda request: reply(200, _progress(1, 5)))
    with pytest.raises(WaitTimeoutError) as caught:
        client.downloads.wait(4, timeout=0, poll_interval=0)
    assert isinstance(caught.value, TimeoutError)
    assert len(recorder.requests) == 1


def test_wait_on_a_legacy_server_says_so() -> None:
    """A server without the status extension (HTML 404) gives a clear UnsupportedOperationError."""
    client, _ = make_client(
        lambda request: httpx.Response(404, html="<title>404 Not Found</title>")
    )
    with pytest.raises(UnsupportedOperationError, match="get_download_status"):
        client.downloads.wait(4, poll_interval=0)


async def test_async_wait() -> None:
    """AsyncBassa waits the same way."""
    states = [_progress(1, 50), _progress(3, 100)]
    client, _ = make_async_client(lambda request: reply(200, states.pop(0)))
    assert (await client.downloads.wait(4, poll_interval=0)).completed_length == 100


def test_wait_zip_until_ready_and_failure() -> None:
    """wait_zip returns the finished job and raises when the job fails."""
    jobs = [
        {"process_id": "ab", "progress": 0, "status": "running"},
        {"process_id": "ab", "progress": 1, "status": "done"},
    ]
    client, _ = make_client(lambda request: reply(200, jobs.pop(0)))
    assert client.files.wait_zip("ab", poll_interval=0).progress == 1
    failing, _ = make_client(
        lambda request: reply(
            200, {"process_id": "ab", "progress": 0, "status": "error", "error": "disk"}
        )
    )
    with pytest.raises(DownloadFailedError, match="disk"):
        failing.files.wait_zip("ab", poll_interval=0)


def test_queue_stop_and_status() -> None:
    """queue.stop sends the key; queue.status reads the counts."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/download/kill":
            assert request.headers["key"] == "k"
            return reply(200, {"status": "success", "state": "paused"})
        return reply(
            200, {"state": "paused", "queued": 2, "started": 0, "completed": 5, "failed": 1}
        )

    client, _ = make_client(handler)
    assert client.queue.stop(key="k").state == "paused"
    status = client.queue.status()
    assert (status.state, status.queued, status.completed, status.failed) == ("paused", 2, 5, 1)


def test_a_wait_callback_error_reaches_the_caller_unchanged() -> None:
    """What the caller's wait callback raises is neither translated nor followed by more polls."""
    client, recorder = make_client(lambda request: reply(200, _progress(1, 5)))

    def progress(seen: DownloadProgress) -> None:
        raise TypeError("bug in the caller's callback")

    with pytest.raises(TypeError, match="caller's callback"):
        client.downloads.wait(4, poll_interval=0, progress=progress)
    assert len(recorder.requests) == 1
