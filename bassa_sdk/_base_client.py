"""What `Bassa` and `AsyncBassa` share: configuration, session, rate limiter, `with_options`.

Building the immutable options from arguments and the environment, and deriving clients with
`with_options()`, does no I/O, so it lives here once; the I/O is in `_async/_client.py` (and its
generated sync twin).
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping
from typing import Any, Self

import httpx

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
from bassa_sdk._ratelimit import TokenBucket
from bassa_sdk._retry import RetryPolicy
from bassa_sdk._session import SessionState

__all__ = ["ClientBase", "DefaultAsyncHttpxClient", "DefaultHttpxClient", "Timeout", "arguments"]

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


class ClientBase(abc.ABC):
    """Configuration, session and rate limiter common to both clients."""

    _options: ClientOptions
    _policy: RetryPolicy
    _state: SessionState
    _limiter: TokenBucket | None

    def _configure(self, settings: Mapping[str, Any], *, parent: ClientBase | None) -> None:
        """Options from the constructor's `settings` (every `ClientOptions` field, `token` and
        `env`); a derived client shares its `parent`'s session and, for the same rate, bucket."""
        env: Mapping[str, str] = settings["env"]
        rate_limit = settings["rate_limit"]
        if rate_limit is not None and not isinstance(rate_limit, RateLimit):
            raise TypeError("rate_limit must be a bassa_sdk.RateLimit or None")
        options = {f.name: settings[f.name] for f in dataclasses.fields(ClientOptions)}
        options["base_url"] = base_url_from(options["base_url"], env)
        options["timeout"] = finite_timeout(options["timeout"])
        self._options = ClientOptions(**options)
        self._policy = RetryPolicy(
            self._options.max_attempts,
            self._options.retry_deadline,
            self._options.wait_initial,
            self._options.wait_max,
            self._options.max_retry_after,
        )
        if parent is not None:
            self._state = parent._state
            same_rate = rate_limit == parent._options.rate_limit
            self._limiter = parent._limiter if same_rate else _bucket(rate_limit)
        else:
            token = settings["token"]
            self._state = SessionState(token if token is not None else env.get(ENV_TOKEN))
            self._limiter = _bucket(rate_limit)
            setup_logging(env)

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
        changes = {k: v for k, v in arguments(locals()).items() if v is not _UNCHANGED}
        options = self._options
        current = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
        return self._derived({**current, **changes})

    @abc.abstractmethod
    def _derived(self, settings: dict[str, Any]) -> Self:
        """A client of the same kind with `settings`, over this one's httpx client."""

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


def arguments(names: Mapping[str, Any]) -> dict[str, Any]:
    """A method's arguments from its `locals()` (taken first thing), without `self` and the
    httpx client: each option is then written once, in the signature."""
    return {k: v for k, v in names.items() if k not in {"self", "http_client"}}


def _bucket(rate_limit: RateLimit | None) -> TokenBucket | None:
    return TokenBucket(rate_limit) if rate_limit is not None else None
