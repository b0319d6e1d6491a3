"""AsyncBassa behaves as Bassa: the same calls, errors, retries, sessions and options."""

from __future__ import annotations

import inspect

import httpx
import pytest

from bassa_sdk import AsyncBassa, Bassa, ConflictError, ServerError, TokenError
from tests.unit.sdk.conftest import make_async_client, reply


def test_same_public_methods_as_the_sync_client() -> None:
    """Every resource offers the same methods with the same parameters in both clients."""
    sync = Bassa("http://bassa.test", env={})
    asyncc = AsyncBassa("http://bassa.test", env={})
    for resource in ("session", "users", "downloads", "queue", "files"):
        left, right = getattr(sync, resource), getattr(asyncc, resource)
        names = {n for n in dir(left) if not n.startswith("_")}
        assert names == {n for n in dir(right) if not n.startswith("_")}, resource
        for name in names:
            if callable(getattr(left, name)):
                assert (
                    inspect.signature(getattr(left, name)).parameters.keys()
                    == inspect.signature(getattr(right, name)).parameters.keys()
                )
    sync.close()


async def test_async_journey_with_retry_and_error() -> None:
    """Login, a retried list, and a conflict surface as in the sync client."""
    script = [
        reply(200, {"auth": "0"}, token="t1"),
        reply(503, {"error": "busy"}),
        reply(200, [{"user_name": "alice", "auth": 1, "email": "a@x.org"}], token="t2"),
        reply(409, {"error": "username taken"}, token="t3"),
    ]
    client, recorder = make_async_client(lambda request: script.pop(0))
    async with client:
        await client.session.login("admin", "pw")
        users = await client.users.list()
        with pytest.raises(ConflictError, match="username taken"):
            await client.users.add("alice", "correct-horse", "a@x.org")
    assert [u.user_name for u in users] == ["alice"]
    assert [r.headers.get("token") for r in recorder.requests] == [None, "t1", "t1", "t2"]
    assert client.session.token == "t3"


async def test_async_unsafe_post_not_retried() -> None:
    """An AsyncBassa does not repeat add_download after a 5xx."""
    client, recorder = make_async_client(lambda request: reply(500, {"error": "x"}))
    with pytest.raises(ServerError):
        await client.downloads.add("http://files.test/a")
    assert len(recorder.requests) == 1


async def test_async_relogin() -> None:
    """auto_relogin works for AsyncBassa too."""
    state = {"logins": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/login":
            state["logins"] += 1
            return reply(200, {"auth": "1"}, token=f"t{state['logins']}")
        if request.headers.get("token") == "t2":
            return reply(
                200, {"state": "running", "queued": 0, "started": 0, "completed": 0, "failed": 0}
            )
        return reply(403, {"error": "token error"})

    client, _ = make_async_client(handler, auto_relogin=True)
    await client.session.login("alice", "pw")
    assert (await client.queue.status()).state == "running"
    plain, _ = make_async_client(handler)
    await plain.session.login("alice", "pw")
    with pytest.raises(TokenError):
        await plain.queue.status()


async def test_async_with_options_and_close() -> None:
    """with_options gives a new AsyncBassa; closing an owned client closes its httpx client."""
    client = AsyncBassa("http://bassa.test", env={})
    derived = client.with_options(max_attempts=1)
    assert isinstance(derived, AsyncBassa) and derived.options.max_attempts == 1
    await client.close()
    assert client._http.is_closed
