"""`AsyncBassa`: the client for asyncio, call for call the twin of `Bassa`."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from bassa_api_client.spec_facts import OPERATIONS
from bassa_sdk._base_client import ClientBase, DefaultAsyncHttpxClient, Timeout, finish
from bassa_sdk._config import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETRY_DEADLINE,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_INITIAL,
    DEFAULT_WAIT_MAX,
    MAX_RETRY_AFTER,
    RateLimit,
)
from bassa_sdk._errors import TokenError, translating
from bassa_sdk._files import FetchedFile, Transfer
from bassa_sdk._resources.downloads import AsyncDownloads
from bassa_sdk._resources.files import AsyncFiles
from bassa_sdk._resources.queue import AsyncQueue
from bassa_sdk._resources.session import AsyncSession
from bassa_sdk._resources.users import AsyncUsers
from bassa_sdk._session import TokenAuth
from bassa_sdk._transport import AsyncSender, Call, Core

__all__ = ["AsyncBassa"]

T = TypeVar("T")


class AsyncBassa(ClientBase):
    """A Bassa client for asyncio: share one per event loop.

    Args:
        base_url: the server's URL (default: `BASSA_URL`).
        token: a session token to start with (default: `BASSA_TOKEN`); `session.login()` gets one.
        timeout: seconds or an `httpx.Timeout` for every request; finite (`DEFAULT_TIMEOUT`).
        max_attempts: attempts per call, the first included (`DEFAULT_MAX_ATTEMPTS`).
        retry_deadline: no retry starts later than this many seconds after the first attempt.
        wait_initial, wait_max: the exponential backoff between attempts, in seconds.
        max_retry_after: the longest `Retry-After` waited for; longer fails at once.
        rate_limit: an opt-in `RateLimit(rate, burst)` shared by every call of the client.
        auto_relogin: keep the password in memory and sign in again once on a token error.
        server_key: the key `queue.start()` and `queue.stop()` send when given none.
        http_client: your own httpx client (its timeout is overridden by ours on every request).
        env: where `BASSA_URL`, `BASSA_TOKEN` and `BASSA_LOG` are read (default: `os.environ`).
    """

    session: AsyncSession
    users: AsyncUsers
    downloads: AsyncDownloads
    queue: AsyncQueue
    files: AsyncFiles

    def __init__(
        self,
        base_url: str | None = None,
        *,
        token: str | None = None,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        retry_deadline: float = DEFAULT_RETRY_DEADLINE,
        wait_initial: float = DEFAULT_WAIT_INITIAL,
        wait_max: float = DEFAULT_WAIT_MAX,
        max_retry_after: float = MAX_RETRY_AFTER,
        rate_limit: RateLimit | None = None,
        auto_relogin: bool = False,
        server_key: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            raise TypeError("http_client must be an httpx.AsyncClient (use Bassa for threads)")
        self._configure(
            base_url=base_url,
            token=token,
            timeout=timeout,
            max_attempts=max_attempts,
            retry_deadline=retry_deadline,
            wait_initial=wait_initial,
            wait_max=wait_max,
            max_retry_after=max_retry_after,
            rate_limit=rate_limit,
            auto_relogin=auto_relogin,
            server_key=server_key,
            env=env,
        )
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else DefaultAsyncHttpxClient()
        self._attach()

    def _copy(self, settings: dict[str, Any]) -> Self:
        return type(self)(**settings, http_client=self._http, env={})

    def _attach(self) -> None:
        self._core = Core(self._options.base_url, self._http, TokenAuth(self._state), self._limiter)
        self.session = AsyncSession(self)
        self.users = AsyncUsers(self)
        self.downloads = AsyncDownloads(self)
        self.queue = AsyncQueue(self)
        self.files = AsyncFiles(self)

    async def _execute(self, call: Call[T], timeout: Timeout = None) -> T:
        return await self._relogging(lambda: self._attempts(call, timeout), call.operation)

    async def _relogging(self, run: Callable[[], Awaitable[T]], operation: str) -> T:
        try:
            return await run()
        except TokenError:
            if not self._relogin_allowed(operation):
                raise
            await self.session._relogin()
            return await run()

    async def _attempts(self, call: Call[T], timeout: Timeout) -> T:
        request_timeout = self._timeout(timeout)
        operation = call.operation
        facts = OPERATIONS[operation]

        async def attempt() -> T:
            sender = AsyncSender(self._core, request_timeout)
            with translating(sender, operation=operation, extension=facts.extension):
                response = await call.endpoint.asyncio_detailed(
                    client=sender.generated(), **call.kwargs
                )
                return finish(call, response, sender)

        return await self._retrier.acall(
            attempt, name=operation, safe=OPERATIONS[operation].safe_to_retry
        )

    async def _transfer(
        self, operation: str, url: str, params: dict[str, str], transfer: Transfer, timeout: Timeout
    ) -> FetchedFile:
        request_timeout = self._timeout(timeout)

        async def attempt() -> None:
            sender = AsyncSender(self._core, request_timeout)
            with translating(sender, operation=operation):
                async with sender.stream(
                    "GET", url, params=params, headers=transfer.headers()
                ) as response:
                    transfer.begin(response)
                    try:
                        if not transfer.complete:
                            async for data in response.aiter_bytes():
                                transfer.feed(data)
                    finally:
                        transfer.flush()
                transfer.finish()

        async def run() -> None:
            await self._retrier.acall(
                attempt, name=operation, safe=OPERATIONS[operation].safe_to_retry
            )

        try:
            await self._relogging(run, operation)
        except BaseException:
            transfer.fail()
            raise
        return transfer.close()

    async def close(self) -> None:
        """Close the connections (unless the httpx client was passed in or is shared)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
