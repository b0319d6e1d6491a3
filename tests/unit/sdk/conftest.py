"""Fixtures for the SDK's unit tests: a scripted server behind httpx.MockTransport, no sleeping."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina

from bassa_sdk import AsyncBassa, Bassa

BASE_URL = "http://bassa.test"
Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture(autouse=True)
def _no_backoff() -> Iterator[None]:
    """Retries happen as configured, but every wait is zero."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


class Recorder:
    """A handler wrapper that keeps every request it saw."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    @property
    def paths(self) -> list[str]:
        """The path of each request, in order."""
        return [request.url.path for request in self.requests]


def make_client(handler: Handler, **options: Any) -> tuple[Bassa, Recorder]:
    """A `Bassa` whose requests go to `handler`, with no environment."""
    recorder = Recorder(handler)
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    return Bassa(BASE_URL, http_client=http, env={}, **options), recorder


def make_async_client(handler: Handler, **options: Any) -> tuple[AsyncBassa, Recorder]:
    """An `AsyncBassa` whose requests go to `handler`, with no environment."""
    recorder = Recorder(handler)
    http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
    return AsyncBassa(BASE_URL, http_client=http, env={}, **options), recorder


def reply(status: int = 200, body: Any = None, **headers: str) -> httpx.Response:
    """A JSON response (the `token` header is set when given as token=...)."""
    content = json.dumps({"status": "success"} if body is None else body).encode()
    all_headers = {"content-type": "application/json", **headers}
    return httpx.Response(status, content=content, headers=all_headers)


def download_row(download_id: int, status: int = 3, **extra: Any) -> dict[str, Any]:
    """A download record as the server sends it."""
    row: dict[str, Any] = {
        "id": download_id,
        "link": f"http://files.test/{download_id}.bin",
        "user_name": "alice",
        "download_name": f"{download_id}.bin",
        "added_time": 1_700_000_000 + download_id,
        "status": status,
        "rating": 0,
        "gid": f"{download_id:016x}",
        "completed_time": 0,
        "size": 0,
        "path": None,
    }
    row.update(extra)
    return row
