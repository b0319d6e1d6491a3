"""`Bassa`: the client for threads, and how one of its calls runs.

A call is a `Call` (generated endpoint + arguments + how to read the result) run by `_execute`:
the retrier repeats attempts; each attempt gets a fresh sender (timeout, token, limiter slot)
and runs the generated `*_detailed` function inside the error boundary; a 4xx/5xx becomes its
`BassaError`. A token error triggers one re-login with the kept credentials when the client was
built with `auto_relogin=True`. `AsyncBassa` (in `_async_client`) mirrors it with `async def`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from bassa_api_client.spec_facts import OPERATIONS
from bassa_sdk._base_client import ClientBase, DefaultHttpxClient, Timeout, finish
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
from bassa_sdk._resources.downloads import Downloads
from bassa_sdk._resources.files import Files
from bassa_sdk._resources.queue import Queue
from bassa_sdk._resources.session import Session
from bassa_sdk._resources.users import Users
from bassa_sdk._session import TokenAuth
from bassa_sdk._transport import Call, Core, SyncSender

__all__ = ["Bassa"]

T = TypeVar("T")


class Bassa(ClientBase):
    """A Bassa client for threads: share one per process; it is thread-safe.

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

    def _copy(self, settings: dict[str, Any]) -> Self:
        return type(self)(**settings, http_client=self._http, env={})

    def _attach(self) -> None:
        self._core = Core(self._options.base_url, self._http, TokenAuth(self._state), self._limiter)
        self.session = Session(self)
        self.users = Users(self)
        self.downloads = Downloads(self)
        self.queue = Queue(self)
        self.files = Files(self)

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
        facts = OPERATIONS[operation]

        def attempt() -> T:
            sender = SyncSender(self._core, request_timeout)
            with translating(sender, operation=operation, extension=facts.extension):
                response = call.endpoint.sync_detailed(client=sender.generated(), **call.kwargs)
                return finish(call, response, sender)

        return self._retrier.call(attempt, name=operation, safe=OPERATIONS[operation].safe_to_retry)

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
            self._retrier.call(attempt, name=operation, safe=OPERATIONS[operation].safe_to_retry)

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
