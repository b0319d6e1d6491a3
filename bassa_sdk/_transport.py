"""How one attempt reaches the network: the senders the generated code is handed, and `Call`.

The generated endpoint functions only ever call `client.get_httpx_client().request(**kwargs)` (or
the async twin). A sender stands in for that httpx client for one attempt and adds what the
generated client cannot: the finite per-call timeout, the session's current token (`TokenAuth`), a
rate-limiter slot, and a record of the raw response, which the error boundary needs when parsing
fails. File transfers use the same sender's `stream()`, so they get the same treatment without the
generated client's buffering.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar, cast

import httpx

from bassa_api_client.client import AuthenticatedClient
from bassa_api_client.types import Response
from bassa_sdk._errors import retry_after_seconds
from bassa_sdk._ratelimit import TokenBucket
from bassa_sdk._session import TokenAuth

__all__ = ["AsyncSender", "Call", "Core", "SyncSender"]

log = logging.getLogger("bassa")
T = TypeVar("T")
H = TypeVar("H", httpx.Client, httpx.AsyncClient)


@dataclass(frozen=True, slots=True)
class Core(Generic[H]):
    """What every attempt of a client needs: where, over what, as whom, how fast."""

    base_url: str
    http: H
    auth: TokenAuth
    limiter: TokenBucket | None


@dataclass(slots=True)
class _Record:
    last_response: httpx.Response | None = None
    started: float = field(default_factory=time.perf_counter)

    def saw(self, response: httpx.Response, limiter: TokenBucket | None) -> None:
        self.last_response = response
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s %s -> %d in %.1f ms",
                response.request.method,
                response.request.url.path,  # never the query: it may carry a share token
                response.status_code,
                (time.perf_counter() - self.started) * 1000,
            )
        if response.status_code == 429 and limiter is not None:
            pause = retry_after_seconds(response.headers)
            if pause:
                limiter.pause(pause)


class SyncSender(_Record):
    """One attempt's stand-in for `httpx.Client` (only `request` and `stream` are used)."""

    def __init__(self, core: Core[httpx.Client], timeout: httpx.Timeout) -> None:
        super().__init__()
        self._core = core
        self._timeout = timeout

    def generated(self) -> AuthenticatedClient:
        """A generated client whose every request goes through this sender."""
        client = AuthenticatedClient(base_url=self._core.base_url, token="", prefix="")
        # the generated client only calls .request() on it; the cast is the one seam
        return client.set_httpx_client(cast(httpx.Client, self))

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request with our timeout, token and rate limit."""
        core = self._core
        if core.limiter is not None:
            core.limiter.acquire()
        self.started = time.perf_counter()
        response = core.http.request(
            method, core.base_url + url, timeout=self._timeout, auth=core.auth, **kwargs
        )
        self.saw(response, core.limiter)
        return response

    @contextmanager
    def stream(self, method: str, url: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """Open a streamed response with the same treatment as `request`."""
        core = self._core
        if core.limiter is not None:
            core.limiter.acquire()
        self.started = time.perf_counter()
        with core.http.stream(
            method, core.base_url + url, timeout=self._timeout, auth=core.auth, **kwargs
        ) as response:
            self.saw(response, core.limiter)
            yield response


class AsyncSender(_Record):
    """One attempt's stand-in for `httpx.AsyncClient`."""

    def __init__(self, core: Core[httpx.AsyncClient], timeout: httpx.Timeout) -> None:
        super().__init__()
        self._core = core
        self._timeout = timeout

    def generated(self) -> AuthenticatedClient:
        """A generated client whose every async request goes through this sender."""
        client = AuthenticatedClient(base_url=self._core.base_url, token="", prefix="")
        return client.set_async_httpx_client(cast(httpx.AsyncClient, self))

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request with our timeout, token and rate limit."""
        core = self._core
        if core.limiter is not None:
            await core.limiter.acquire_async()
        self.started = time.perf_counter()
        response = await core.http.request(
            method, core.base_url + url, timeout=self._timeout, auth=core.auth, **kwargs
        )
        self.saw(response, core.limiter)
        return response

    @asynccontextmanager
    async def stream(self, method: str, url: str, **kwargs: Any) -> AsyncIterator[httpx.Response]:
        """Open a streamed response with the same treatment as `request`."""
        core = self._core
        if core.limiter is not None:
            await core.limiter.acquire_async()
        self.started = time.perf_counter()
        async with core.http.stream(
            method, core.base_url + url, timeout=self._timeout, auth=core.auth, **kwargs
        ) as response:
            self.saw(response, core.limiter)
            yield response


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One operation to run: the generated endpoint module, its arguments, and how to read it."""

    endpoint: ModuleType
    kwargs: dict[str, Any]
    result: Callable[[Response[Any]], T]

    @property
    def operation(self) -> str:
        """The spec's operationId (the generated module is named after it)."""
        return self.endpoint.__name__.rpartition(".")[2]
