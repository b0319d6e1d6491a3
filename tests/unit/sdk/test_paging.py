"""Iterators read deep lists by the server's cursor when it offers one, by page numbers (or
one legacy answer) when it does not."""

from __future__ import annotations

from typing import Any

import httpx

from tests.unit.sdk.conftest import download_row, make_async_client, make_client, reply

CURSOR = "Bassa-Next-Cursor"


def _reply(status: int, body: Any, headers: dict[str, str]) -> httpx.Response:
    response = reply(status, body)
    response.headers.update(headers)
    return response


def _cursored(total: int) -> Any:
    """A current server: 15 a page, a cursor (the last id) on every full page."""

    def handler(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("cursor", "0"))
        page = int(request.url.path.rsplit("/", 1)[1])
        assert page == 1 or "cursor" not in request.url.params
        ids = list(range(after + 1, min(after + 15, total) + 1))
        headers = {CURSOR: str(ids[-1])} if len(ids) == 15 else {}
        return _reply(200, [download_row(i) for i in ids], headers)

    return handler


def test_iter_follows_the_cursor_past_the_deepest_legacy_page() -> None:
    """2,000 downloads (deeper than page 100) come back in order, page 1 then by cursor only."""
    client, recorder = make_client(_cursored(2_000))
    assert [d.id for d in client.downloads.iter()] == list(range(1, 2_001))
    assert recorder.paths == ["/api/user/downloads/1"] * 134


async def test_async_iter_completed_follows_the_cursor() -> None:
    """The async library iterator stops when a page comes without a cursor."""
    client, _ = make_async_client(_cursored(31))
    assert [d.id async for d in client.downloads.iter_completed()] == list(range(1, 32))


def test_iter_counts_pages_past_100_on_a_legacy_server() -> None:
    """Without cursors the iterator counts pages, beyond the current server's deepest page."""

    def legacy(request: httpx.Request) -> httpx.Response:
        page = int(request.url.path.rsplit("/", 1)[1])
        ids = range((page - 1) * 15 + 1, min(page * 15, 1_530) + 1)
        return reply(200, [download_row(i) for i in ids])

    client, recorder = make_client(legacy)
    assert len(list(client.downloads.iter())) == 1_530
    assert recorder.paths[-1] == "/api/user/downloads/103"


def _users(names: list[str], *, cursors: bool) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        if not cursors:  # a legacy server ignores limit and cursor: everybody at once
            rows = names
            headers = {}
        else:
            limit = int(request.url.params["limit"])
            after = request.url.params.get("cursor", "")
            rest = [name for name in names if name > after]
            rows = rest[:limit]
            headers = {CURSOR: rows[-1]} if len(rest) > limit else {}
        body = [{"user_name": n, "auth": 1, "email": f"{n}@x.org"} for n in rows]
        return _reply(200, body, headers)

    return handler


def test_user_iterators_page_by_cursor() -> None:
    """iter(), iter_blocked() and iter_requests() read every user, `page_size` a request."""
    names = [f"user{i:03d}" for i in range(25)]
    client, recorder = make_client(_users(names, cursors=True))
    assert [u.user_name for u in client.users.iter(page_size=10)] == names
    assert [u.user_name for u in client.users.iter_blocked(page_size=10)] == names
    assert [u.user_name for u in client.users.iter_requests(page_size=10)] == names
    assert len(recorder.paths) == 9


def test_user_iterator_takes_a_legacy_answer_whole() -> None:
    """A legacy server's one unpaged answer is the whole list, read in one request."""
    names = ["alice", "bob"]
    client, recorder = make_client(_users(names, cursors=False))
    assert [u.user_name for u in client.users.iter()] == names
    assert recorder.paths == ["/api/user"]
