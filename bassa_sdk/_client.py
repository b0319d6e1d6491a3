"""`Bassa` and `AsyncBassa`: the clients users hold, and how one call runs.

A call is a `Call` (generated endpoint + arguments + how to read the result) run by `_execute`:
the retrier repeats attempts; each attempt gets a fresh sender (timeout, token, limiter slot)
and runs the generated `*_detailed` function inside the error boundary; a 4xx/5xx becomes its
`BassaError`. A token error triggers one re-login with the kept credentials when the client was
built with `auto_relogin=True`. The two clients share everything but the I/O verbs.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from bassa_api_client.types import Response
from bassa_sdk._config import (
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_RETRY_DEADLINE,
    DEFAULT_TIMEOUT,
    DEFAULT_WAIT_INITIAL,
    DEFAULT_WAIT_MAX,
    ENV_TOKEN,
    MAX_RETRY_AFTER,
    ClientOptions,
    RateLimit,
    base_url_from,
    finite_timeout,
    setup_logging,
)
from bassa_sdk._errors import TokenError, status_error, translating
from bassa_sdk._files import FetchedFile, Transfer
from bassa_sdk._ratelimit import TokenBucket
from bassa_sdk._resources.downloads import AsyncDownloads, Downloads
from bassa_sdk._resources.files import AsyncFiles, Files
from bassa_sdk._resources.queue import AsyncQueue, Queue
from bassa_sdk._resources.session import AsyncSession, Session
from bassa_sdk._resources.users import AsyncUsers, Users
from bassa_sdk._retry import Retrier, RetryPolicy
from bassa_sdk._session import SessionState, TokenAuth
from bassa_sdk._spec import EXTENSIONS, is_safe
from bassa_sdk._transport import AsyncSender, Call, Core, SyncSender

__all__ = ["AsyncBassa", "Bassa", "DefaultAsyncHttpxClient", "DefaultHttpxClient"]

T = TypeVar("T")
Timeout = float | httpx.Timeout | None


class DefaultHttpxClient(httpx.Client):
    """An `httpx.Client` with the SDK's default timeout and connection limits, for customising."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
        super().__init__(**kwargs)


class DefaultAsyncHttpxClient(httpx.AsyncClient):
    """An `httpx.AsyncClient` with the SDK's default timeout and connection limits."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        kwargs.setdefault("limits", DEFAULT_CONNECTION_LIMITS)
        super().__init__(**kwargs)


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


_UNCHANGED: Any = _Unchanged()


class _ClientBase:
    """Configuration, session and retry state common to both clients."""

    _options: ClientOptions
    _state: SessionState
    _limiter: TokenBucket | None
    _retrier: Retrier
    _owns_http: bool

    def _configure(
        self,
        *,
        base_url: str | None,
        token: str | None,
        timeout: float | httpx.Timeout,
        max_attempts: int,
        retry_deadline: float,
        wait_initial: float,
        wait_max: float,
        max_retry_after: float,
        rate_limit: RateLimit | None,
        auto_relogin: bool,
        server_key: str | None,
        env: Mapping[str, str],
    ) -> None:
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise TypeError("rate_limit must be a bassa_sdk.RateLimit or None")
        self._options = ClientOptions(
            base_url=base_url_from(base_url, env),
            timeout=finite_timeout(timeout),
            max_attempts=max_attempts,
            retry_deadline=retry_deadline,
            wait_initial=wait_initial,
            wait_max=wait_max,
            max_retry_after=max_retry_after,
            rate_limit=rate_limit,
            auto_relogin=auto_relogin,
            server_key=server_key,
        )
        self._retrier = Retrier(
            RetryPolicy(max_attempts, retry_deadline, wait_initial, wait_max, max_retry_after)
        )
        self._limiter = TokenBucket(rate_limit) if rate_limit is not None else None
        self._state = SessionState(token if token is not None else env.get(ENV_TOKEN))
        setup_logging(env)

    def _derive(self, parent: _ClientBase, rate_limit: RateLimit | None) -> None:
        """Share the parent's session (and its limiter when the rate did not change)."""
        self._state = parent._state
        if rate_limit == parent._options.rate_limit:
            self._limiter = parent._limiter

    def _changes(self, **changes: Any) -> dict[str, Any]:
        options = self._options
        current = {
            "base_url": options.base_url,
            "timeout": options.timeout,
            "max_attempts": options.max_attempts,
            "retry_deadline": options.retry_deadline,
            "wait_initial": options.wait_initial,
            "wait_max": options.wait_max,
            "max_retry_after": options.max_retry_after,
            "rate_limit": options.rate_limit,
            "auto_relogin": options.auto_relogin,
            "server_key": options.server_key,
        }
        current.update({k: v for k, v in changes.items() if v is not _UNCHANGED})
        return current

    def _relogin_allowed(self, operation: str) -> bool:
        return (
            self._options.auto_relogin
            and self._state.credentials is not None
            and operation != "login"
        )

    def _timeout(self, timeout: Timeout) -> httpx.Timeout:
        return self._options.timeout if timeout is None else finite_timeout(timeout)

    @property
    def base_url(self) -> str:
        """The server's URL."""
        return self._options.base_url

    @property
    def options(self) -> ClientOptions:
        """The client's configuration (immutable; see `with_options`)."""
        return self._options

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._options.base_url} {self._state!r}>"


def _finish(call: Call[T], response: Response[Any], sender: SyncSender | AsyncSender) -> T:
    raw = sender.last_response
    if raw is not None and raw.status_code >= 400:
        operation = call.operation
        raise status_error(raw, operation=operation, extension=operation in EXTENSIONS)
    return call.result(response)


class Bassa(_ClientBase):
    """A Bassa client for threads: share one per process; it is thread-safe."""

    session: Session
    users: Users
    downloads: Downloads
    queue: Queue
    files: Files

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
        http_client: httpx.Client | None = None,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        if http_client is not None and not isinstance(http_client, httpx.Client):
            raise TypeError("http_client must be an httpx.Client (use AsyncBassa for async)")
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
        self._http = http_client if http_client is not None else DefaultHttpxClient()
        self._attach()

    def _attach(self) -> None:
        self._core = Core(self._options.base_url, self._http, TokenAuth(self._state), self._limiter)
        self.session = Session(self)
        self.users = Users(self)
        self.downloads = Downloads(self)
        self.queue = Queue(self)
        self.files = Files(self)

    def with_options(
        self,
        *,
        base_url: str = _UNCHANGED,
        timeout: float | httpx.Timeout = _UNCHANGED,
        max_attempts: int = _UNCHANGED,
        retry_deadline: float = _UNCHANGED,
        wait_initial: float = _UNCHANGED,
        wait_max: float = _UNCHANGED,
        max_retry_after: float = _UNCHANGED,
        rate_limit: RateLimit | None = _UNCHANGED,
        auto_relogin: bool = _UNCHANGED,
        server_key: str | None = _UNCHANGED,
    ) -> Bassa:
        """A new client with some options changed, sharing this one's connections and session."""
        settings = self._changes(
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            retry_deadline=retry_deadline,
            wait_initial=wait_initial,
            wait_max=wait_max,
            max_retry_after=max_retry_after,
            rate_limit=rate_limit,
            auto_relogin=auto_relogin,
            server_key=server_key,
        )
        clone = Bassa(**settings, http_client=self._http, env={})
        clone._derive(self, settings["rate_limit"])
        clone._owns_http = False
        clone._attach()
        return clone

    def _execute(self, call: Call[T], timeout: Timeout = None) -> T:
        return self._relogging(lambda: self._attempts(call, timeout), call.operation)

    def _relogging(self, run: Callable[[], T], operation: str) -> T:
        try:
            return run()
        except TokenError:
            if not self._relogin_allowed(operation):
                raise
            self.session._relogin()
            return run()

    def _attempts(self, call: Call[T], timeout: Timeout) -> T:
        request_timeout = self._timeout(timeout)
        operation = call.operation
        extension = operation in EXTENSIONS

        def attempt() -> T:
            sender = SyncSender(self._core, request_timeout)
            with translating(sender, operation=operation, extension=extension):
                response = call.endpoint.sync_detailed(client=sender.generated(), **call.kwargs)
                return _finish(call, response, sender)

        return self._retrier.call(attempt, name=operation, safe=is_safe(operation))

    def _transfer(
        self, operation: str, url: str, params: dict[str, str], transfer: Transfer, timeout: Timeout
    ) -> FetchedFile:
        request_timeout = self._timeout(timeout)

        def attempt() -> None:
            sender = SyncSender(self._core, request_timeout)
            with translating(sender, operation=operation):
                with sender.stream(
                    "GET", url, params=params, headers=transfer.headers()
                ) as response:
                    transfer.begin(response)
                    try:
                        if not transfer.complete:
                            # no chunk_size here: httpx's chunker drops its buffer on errors
                            for data in response.iter_bytes():
                                transfer.feed(data)
                    finally:
                        transfer.flush()
                transfer.finish()

        def run() -> None:
            self._retrier.call(attempt, name=operation, safe=is_safe(operation))

        try:
            self._relogging(run, operation)
        except BaseException:
            transfer.fail()
            raise
        return transfer.close()

    def close(self) -> None:
        """Close the connections (unless the httpx client was passed in or is shared)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class AsyncBassa(_ClientBase):
    """A Bassa client for asyncio: share one per event loop."""

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

    def _attach(self) -> None:
        self._core = Core(self._options.base_url, self._http, TokenAuth(self._state), self._limiter)
        self.session = AsyncSession(self)
        self.users = AsyncUsers(self)
        self.downloads = AsyncDownloads(self)
        self.queue = AsyncQueue(self)
        self.files = AsyncFiles(self)

    def with_options(
        self,
        *,
        base_url: str = _UNCHANGED,
        timeout: float | httpx.Timeout = _UNCHANGED,
        max_attempts: int = _UNCHANGED,
        retry_deadline: float = _UNCHANGED,
        wait_initial: float = _UNCHANGED,
        wait_max: float = _UNCHANGED,
        max_retry_after: float = _UNCHANGED,
        rate_limit: RateLimit | None = _UNCHANGED,
        auto_relogin: bool = _UNCHANGED,
        server_key: str | None = _UNCHANGED,
    ) -> AsyncBassa:
        """A new client with some options changed, sharing this one's connections and session."""
        settings = self._changes(
            base_url=base_url,
            timeout=timeout,
            max_attempts=max_attempts,
            retry_deadline=retry_deadline,
            wait_initial=wait_initial,
            wait_max=wait_max,
            max_retry_after=max_retry_after,
            rate_limit=rate_limit,
            auto_relogin=auto_relogin,
            server_key=server_key,
        )
        clone = AsyncBassa(**settings, http_client=self._http, env={})
        clone._derive(self, settings["rate_limit"])
        clone._owns_http = False
        clone._attach()
        return clone

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
        extension = operation in EXTENSIONS

        async def attempt() -> T:
            sender = AsyncSender(self._core, request_timeout)
            with translating(sender, operation=operation, extension=extension):
                response = await call.endpoint.asyncio_detailed(
                    client=sender.generated(), **call.kwargs
                )
                return _finish(call, response, sender)

        return await self._retrier.acall(attempt, name=operation, safe=is_safe(operation))

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
            await self._retrier.acall(attempt, name=operation, safe=is_safe(operation))

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
