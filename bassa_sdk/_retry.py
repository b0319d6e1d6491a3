"""When and how a failed call is tried again: the only module that talks to stamina.

The decision (`should_retry`) is a pure function of the error and of whether the call is safe to
repeat, so a table-driven test covers it:

* a connection that could not be opened (connect error, connect or pool timeout) is retried for
  every call: the request never reached the server;
* a read timeout, a connection broken mid-exchange, 408, 429 and 5xx are retried only when the call
  is safe to repeat: GET, HEAD, PUT, DELETE, or an operation the spec marks
  `x-bassa-safe-to-retry: true` (`safe_to_retry` in the generated `spec_facts`);
* anything else (4xx, malformed responses) is final.

A status error after an attempt that may have reached the server (its answer lost to a broken
connection, a read timeout or a 5xx) carries `after_unknown_outcome`: a DELETE retried that way
and answered 404 was done by the earlier attempt, and the resources report it as done.

A `Retry-After` (seconds or HTTP date) replaces the exponential backoff; beyond `max_retry_after`
or beyond the call's remaining deadline the call fails at once, carrying `.retry_after`. Waits run
through stamina, so `stamina.set_testing` makes tests instant and stamina's Prometheus and
structlog instrumentation count the SDK's retries under the name `bassa.<operationId>`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import httpx
import stamina

from bassa_sdk._errors import APIConnectionError, APIStatusError, APITimeoutError

if TYPE_CHECKING:
    from stamina._core import _RetryContextIterator

__all__ = ["Retrier", "RetryPolicy", "may_have_reached_server", "should_retry"]

log = logging.getLogger("bassa")
T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 429})
# the request provably never reached the server, so even a POST can be sent again
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many attempts, how long in total, and how long to wait between them."""

    max_attempts: int
    deadline: float
    wait_initial: float
    wait_max: float
    max_retry_after: float

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1: {self.max_attempts}")
        for name in ("deadline", "wait_initial", "wait_max", "max_retry_after"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be a non-negative number of seconds")


def should_retry(exc: BaseException, *, safe: bool) -> bool:
    """Whether `exc` from one attempt of a call (safe to repeat or not) deserves another attempt."""
    if isinstance(exc, APIConnectionError):
        if isinstance(exc.__cause__, _NOT_SENT):
            return True
        return safe
    if isinstance(exc, APIStatusError):
        retryable = exc.status_code in RETRYABLE_STATUSES or exc.status_code >= 500
        return retryable and safe
    return False


def may_have_reached_server(exc: BaseException) -> bool:
    """Whether the server may have acted on an attempt that failed with `exc`."""
    if isinstance(exc, APIConnectionError):
        return not isinstance(exc.__cause__, _NOT_SENT)
    if isinstance(exc, APIStatusError):
        # 408 and 429 say the request was not processed; a 5xx may come after the work was done
        return exc.status_code >= 500
    return False


class _Attempts:
    """One call's failed attempts: the first is replayed into stamina, and each later status
    error learns whether an attempt before it may have reached the server."""

    def __init__(self, first: Exception) -> None:
        self.replay: list[Exception] = [first]
        self.uncertain = may_have_reached_server(first)

    def failed(self, exc: Exception) -> None:
        if isinstance(exc, APIStatusError):
            exc.after_unknown_outcome = self.uncertain
        self.uncertain = self.uncertain or may_have_reached_server(exc)


class Retrier:
    """Runs one call's attempts under a policy; shared by a client's threads or tasks."""

    def __init__(self, policy: RetryPolicy, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock

    def _hook(self, name: str, safe: bool, started: float) -> Callable[[Exception], bool | float]:
        policy = self.policy
        deadline = started + policy.deadline
        failures = 0

        def backoff(exc: Exception) -> bool | float:
            nonlocal failures
            failures += 1
            if not should_retry(exc, safe=safe):
                return False
            retry_after = exc.retry_after if isinstance(exc, APIStatusError) else None
            remaining = deadline - self._clock()
            if retry_after is not None and retry_after > min(policy.max_retry_after, remaining):
                log.warning(
                    "%s: not retrying, the server asks to wait %.1f s (at most %.1f s allowed)",
                    name,
                    retry_after,
                    min(policy.max_retry_after, max(remaining, 0.0)),
                )
                return False
            if failures < policy.max_attempts and remaining > 0:
                log.warning(
                    "%s: attempt %d of %d failed (%s); retrying%s",
                    name,
                    failures,
                    policy.max_attempts,
                    _describe(exc),
                    f" in {retry_after:.1f} s" if retry_after is not None else "",
                )
            return retry_after if retry_after is not None else True

        return backoff

    def _context(self, name: str, safe: bool, started: float) -> _RetryContextIterator:
        return stamina.retry_context(
            on=self._hook(name, safe, started),
            attempts=self.policy.max_attempts,
            timeout=self.policy.deadline or None,
            wait_initial=self.policy.wait_initial,
            wait_max=self.policy.wait_max,
        ).with_name(f"bassa.{name}", (), {})  # no arguments: they may hold passwords

    def call(self, fn: Callable[[], T], *, name: str, safe: bool) -> T:
        """Call `fn` until it succeeds, the error is final, or attempts or deadline run out."""
        started = self._clock()
        # the happy path and final errors pay nothing for the retry machinery: stamina starts at
        # the first retryable failure, which it sees as its own first attempt (so attempt counts,
        # waits and instrumentation are exact)
        try:
            return fn()
        except Exception as exc:
            if not should_retry(exc, safe=safe) or self.policy.max_attempts == 1:
                raise
            attempts = _Attempts(exc)

        def again() -> T:
            if attempts.replay:
                raise attempts.replay.pop()
            try:
                return fn()
            except Exception as exc:
                attempts.failed(exc)
                raise

        for attempt in self._context(name, safe, started):
            with attempt:
                result = again()
        return result

    async def acall(self, fn: Callable[[], Awaitable[T]], *, name: str, safe: bool) -> T:
        """Await `fn()` under the same rules as `call`."""
        started = self._clock()
        try:
            return await fn()
        except Exception as exc:
            if not should_retry(exc, safe=safe) or self.policy.max_attempts == 1:
                raise
            attempts = _Attempts(exc)

        async def again() -> T:
            if attempts.replay:
                raise attempts.replay.pop()
            try:
                return await fn()
            except Exception as exc:
                attempts.failed(exc)
                raise

        async for attempt in self._context(name, safe, started):
            with attempt:
                result = await again()
        return result


def _describe(exc: Exception) -> str:
    if isinstance(exc, APIStatusError):
        return f"status {exc.status_code}"
    if isinstance(exc, APITimeoutError):
        return "timeout"
    return type(exc.__cause__ or exc).__name__
