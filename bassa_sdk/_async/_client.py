"""`AsyncBassa`, and how one of its calls runs (`Bassa` is generated from this module).

Each client owns one generated `AuthenticatedClient`, whose httpx client is the client's
`AsyncResilientClient` (base URL, default timeout; token, rate limit, retries, re-login and error
mapping around the caller's httpx client). A call sets its `CallContext` and awaits the generated
`asyncio_detailed` function inside the parse boundary; the resilient client has already raised
any 4xx/5xx, so the generated code parses only successes, once. Files bypass the generated
client's buffering: they stream through the same resilient client, and their own loop resumes a
broken body with `Range`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from bassa_sdk._async._http import AsyncResilientClient
from bassa_sdk._async._resources.downloads import AsyncDownloads
from bassa_sdk._async._resources.files import AsyncFiles
from bassa_sdk._async._resources.queue import AsyncQueue
from bassa_sdk._async._resources.session import AsyncSession
from bassa_sdk._async._resources.users import AsyncUsers
from bassa_sdk._async._retrying import AsyncRetrier
from bassa_sdk._base_client import ClientBase, DefaultAsyncHttpxClient, Timeout, arguments
from bassa_sdk._call import Call, CallContext, calling
from bassa_sdk._config import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETRY_DEADLINE,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_INITIAL,
    DEFAULT_WAIT_MAX,
    MAX_RETRY_AFTER,
    RateLimit,
)
from bassa_sdk._errors import APIStatusError, translating
from bassa_sdk._files import FetchedFile, Transfer
from bassa_sdk._generated.client import AuthenticatedClient
from bassa_sdk._generated.spec_facts import Operation

__all__ = ["AsyncBassa"]

T = TypeVar("T")


class AsyncBassa(ClientBase):
    """A Bassa client: share one (a `Bassa` across threads, an `AsyncBassa` within a loop).

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
        settings = arguments(locals())  # the options are listed once, in the signature above
        if http_client is not None and not isinstance(http_client, httpx.AsyncClient):
            kind = httpx.AsyncClient.__name__
            raise TypeError(f"http_client must be an httpx.{kind} (one client kind per SDK client)")
        self._setup(http_client, None, settings)

    def _setup(
        self,
        http_client: httpx.AsyncClient | None,
        parent: ClientBase | None,
        settings: dict[str, Any],
    ) -> None:
        self._configure(settings, parent=parent)
        self._owns_http = http_client is None
        self._http = http_client if http_client is not None else DefaultAsyncHttpxClient()
        self._wire = AsyncResilientClient(
            self._http,
            base_url=self._options.base_url,
            timeout=self._options.timeout,
            session=self._state,
            limiter=self._limiter,
            retrier=AsyncRetrier(self._policy),
            relogin=self._relogin,
        )
        # the token is sent by the wire client: the generated client would freeze it at first use
        self._api = AuthenticatedClient(
            base_url=self._options.base_url, token=""
        ).set_async_httpx_client(self._wire)
        self.session = AsyncSession(self)
        self.users = AsyncUsers(self)
        self.downloads = AsyncDownloads(self)
        self.queue = AsyncQueue(self)
        self.files = AsyncFiles(self)

    def _derived(self, settings: dict[str, Any]) -> Self:
        clone = type(self).__new__(type(self))
        clone._setup(self._http, self, {**settings, "token": None, "env": {}})
        clone._owns_http = False
        return clone

    async def _relogin(self, operation: str) -> bool:
        """Sign in again with the kept credentials after a token error, when allowed."""
        if not self._relogin_allowed(operation):
            return False
        credentials = self._state.credentials
        assert credentials is not None
        await self._execute(self.session._login(*credentials))
        return True

    async def _execute(self, call: Call[T], timeout: Timeout = None) -> T:
        context = CallContext(call.operation, self._timeout(timeout))
        with calling(context), translating(context):
            response = await call.endpoint.asyncio_detailed(client=self._api, **call.kwargs)
            return call.result(response)

    async def _transfer(
        self,
        operation: Operation,
        url: str,
        params: dict[str, str],
        transfer: Transfer,
        timeout: Timeout,
    ) -> FetchedFile:
        context = CallContext(operation, self._timeout(timeout), retry=False)

        async def attempt() -> None:
            with calling(context), translating(context):
                request = self._wire.build_request(
                    operation.method, url, params=params, headers=transfer.headers()
                )
                try:
                    response = await self._wire.send(request, stream=True)
                except APIStatusError as exc:
                    if transfer.already_complete(exc.response):
                        return
                    raise
            try:
                transfer.begin(response)
                async with aclosing(_body(response, context)) as chunks:
                    async for data in chunks:
                        # outside the boundary: the caller's progress callback runs here
                        transfer.feed(data)
            finally:
                transfer.flush()
                await response.aclose()
            transfer.finish()

        try:
            await self._wire.retrier.run(
                attempt, name=operation.operation_id, safe=operation.safe_to_retry
            )
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


async def _body(response: httpx.Response, context: CallContext) -> AsyncGenerator[bytes]:
    """A streamed body's chunks, read inside the boundary (and only the reading)."""
    with translating(context):
        async for data in response.aiter_bytes():
            yield data
