"""What `Bassa` and `AsyncBassa` share: configuration, session, retry policy, `with_options`.

The two clients differ only in their I/O verbs (`def` or `async def`), so everything else lives
here once: building the immutable options from arguments and the environment, deriving clients
with `with_options()`, and reading a finished call's response.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Self, TypeVar

import httpx

from bassa_api_client.spec_facts import OPERATIONS
from bassa_api_client.types import Response
from bassa_sdk._config import (
    DEFAULT_CONNECTION_LIMITS,
    DEFAULT_TIMEOUT,
    ENV_TOKEN,
    ClientOptions,
    RateLimit,
    base_url_from,
    finite_timeout,
    setup_logging,
)
from bassa_sdk._errors import status_error
from bassa_sdk._ratelimit import TokenBucket
from bassa_sdk._retry import Retrier, RetryPolicy
from bassa_sdk._session import SessionState
from bassa_sdk._transport import AsyncSender, Call, SyncSender

__all__ = ["ClientBase", "DefaultAsyncHttpxClient", "DefaultHttpxClient", "Timeout", "finish"]

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


class ClientBase(ABC):
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

    def _derive(self, parent: ClientBase, rate_limit: RateLimit | None) -> None:
        """Share the parent's session (and its limiter when the rate did not change)."""
        self._state = parent._state
        if rate_limit == parent._options.rate_limit:
            self._limiter = parent._limiter

    def _changes(self, **changes: Any) -> dict[str, Any]:
        options = self._options
        current = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
        current.update({k: v for k, v in changes.items() if v is not _UNCHANGED})
        return current

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
    ) -> Self:
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
        clone = self._copy(settings)
        clone._derive(self, settings["rate_limit"])
        clone._owns_http = False
        clone._attach()
        return clone

    @abstractmethod
    def _copy(self, settings: dict[str, Any]) -> Self:
        """A client of the same kind with `settings`, over this one's httpx client."""

    @abstractmethod
    def _attach(self) -> None:
        """Build the request core and the resources from the current state."""

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


def finish(call: Call[T], response: Response[Any], sender: SyncSender | AsyncSender) -> T:
    raw = sender.last_response
    if raw is not None and raw.status_code >= 400:
        operation = call.operation
        raise status_error(raw, operation=operation, extension=OPERATIONS[operation].extension)
    return call.result(response)
