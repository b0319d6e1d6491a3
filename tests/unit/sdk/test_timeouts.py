"""No request ever leaves without a finite timeout, whatever the client or the call."""

from __future__ import annotations

import io
import math
from typing import Any

import httpx
import pytest

from bassa_sdk import DEFAULT_TIMEOUT, AsyncBassa, Bassa
from tests.unit.sdk.conftest import BASE_URL, download_row, reply


def _server(seen: list[dict[str, Any]]) -> Any:
    """Answers every operation the SDK has, recording each request's timeout."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        path, method = request.url.path, request.method
        if path == "/api/login":
            return reply(200, {"auth": "0"}, token="t")
        if path.startswith(("/api/user/downloads/", "/api/downloads/")):
            page = int(path.rsplit("/", 1)[1])
            return reply(200, [download_row(1)] if page == 1 else [])
        if path.endswith("/status"):
            return reply(
                200,
                {
                    "id": 1,
                    "status": 3,
                    "completed_length": 3,
                    "total_length": 3,
                    "download_speed": 0,
                },
            )
        if path.startswith("/api/download/rate/"):
            return reply(200, {"status": "success", "rating": 3})
        if path in ("/api/download/start", "/api/download/kill"):
            return reply(200, {"status": "success", "state": "running"})
        if path == "/api/queue":
            return reply(
                200, {"state": "running", "queued": 0, "started": 0, "completed": 1, "failed": 0}
            )
        if (path.startswith("/api/download/") and method == "GET") or path == "/api/file":
            return httpx.Response(200, content=b"abc")
        if path in ("/api/compress", "/api/compression-progress"):
            return reply(200, {"process_id": "ab", "progress": 1, "status": "done"})
        if path == "/api/file/share":
            return reply(200, {"gid": "ab", "share": "s", "expires_at": 1})
        if path == "/api/download" and method == "POST":
            return reply(200, {"status": "success", "id": 1})
        if (
            path in ("/api/user", "/api/user/blocked", "/api/user/requests", "/api/user/heavy")
            and method == "GET"
        ):
            return reply(200, [])
        return reply(200, {"status": "success"})

    return handler


def _every_call(client: Bassa) -> None:
    client.session.login("admin", "pw")
    client.session.sign_up("bob", "correct-horse", "bob@example.org")
    client.users.list()
    client.users.requests()
    client.users.blocked()
    client.users.heavy()
    client.users.add("bob", "correct-horse", "bob@example.org")
    client.users.update("bob", email="b@example.org")
    client.users.approve("bob")
    client.users.block("bob")
    client.users.unblock("bob")
    client.users.delete("bob")
    client.downloads.add("http://files.test/a")
    list(client.downloads.iter())
    list(client.downloads.iter_completed())
    client.downloads.rate(1, 3)
    client.downloads.status(1)
    client.downloads.wait(1, poll_interval=0)
    client.downloads.delete(1)
    client.queue.start(key="k")
    client.queue.stop(key="k")
    client.queue.status()
    client.files.download(1, io.BytesIO())
    client.files.zip(["0123456789abcdef"])
    client.files.zip_status("ab")
    client.files.wait_zip("ab", poll_interval=0)
    client.files.fetch_zip("ab", io.BytesIO())
    client.files.share("ab")


def _assert_finite(seen: list[dict[str, Any]], expected: httpx.Timeout) -> None:
    assert len(seen) >= 30
    for timeout in seen:
        assert set(timeout) == {"connect", "read", "write", "pool"}
        assert all(isinstance(v, float) and math.isfinite(v) and v > 0 for v in timeout.values())
        assert timeout == expected.as_dict()


def test_every_call_of_the_default_client_has_the_default_timeout() -> None:
    """All operations, streams included, send DEFAULT_TIMEOUT."""
    seen: list[dict[str, Any]] = []
    http = httpx.Client(transport=httpx.MockTransport(_server(seen)))
    _every_call(Bassa(BASE_URL, http_client=http, env={}))
    _assert_finite(seen, DEFAULT_TIMEOUT)


def test_a_user_client_without_timeouts_still_gets_ours() -> None:
    """An httpx.Client built with timeout=None does not disable the SDK's timeouts."""
    seen: list[dict[str, Any]] = []
    http = httpx.Client(transport=httpx.MockTransport(_server(seen)), timeout=None)
    _every_call(Bassa(BASE_URL, http_client=http, env={}, timeout=7.5))
    _assert_finite(seen, httpx.Timeout(7.5))


def test_per_call_timeout_overrides_the_client_one() -> None:
    """timeout= on a call applies to that call only."""
    seen: list[dict[str, Any]] = []
    client = Bassa(
        BASE_URL, http_client=httpx.Client(transport=httpx.MockTransport(_server(seen))), env={}
    )
    client.users.list(timeout=2)
    client.users.list()
    assert seen == [httpx.Timeout(2).as_dict(), DEFAULT_TIMEOUT.as_dict()]


async def test_async_calls_have_finite_timeouts() -> None:
    """AsyncBassa sends the same finite timeouts, streams included."""
    seen: list[dict[str, Any]] = []
    http = httpx.AsyncClient(transport=httpx.MockTransport(_server(seen)), timeout=None)
    client = AsyncBassa(BASE_URL, http_client=http, env={})
    await client.session.login("admin", "pw")
    await client.users.list(timeout=3)
    await client.files.download(1, io.BytesIO())
    assert seen == [
        DEFAULT_TIMEOUT.as_dict(),
        httpx.Timeout(3).as_dict(),
        DEFAULT_TIMEOUT.as_dict(),
    ]


@pytest.mark.parametrize(
    "timeout",
    [0, -1, float("inf"), float("nan"), httpx.Timeout(None), httpx.Timeout(5, read=None)],
)
def test_infinite_or_zero_timeouts_are_refused(timeout: Any) -> None:
    """A timeout that is not finite and positive is a ValueError, for the client and per call."""
    with pytest.raises(ValueError, match="finite"):
        Bassa(BASE_URL, timeout=timeout, env={})
    seen: list[dict[str, Any]] = []
    client = Bassa(
        BASE_URL, http_client=httpx.Client(transport=httpx.MockTransport(_server(seen))), env={}
    )
    with pytest.raises(ValueError, match="finite"):
        client.users.list(timeout=timeout)
    assert seen == []


def test_a_client_without_a_timeout_is_a_value_error() -> None:
    """`timeout=None` on a client would wait forever: a ValueError, as the README says."""
    with pytest.raises(ValueError, match="finite"):
        Bassa(BASE_URL, timeout=None, env={})  # type: ignore[arg-type]
