"""When a failed attempt is tried again: the decision, free of I/O.

The decision (`should_retry`) is a pure function of the error and of whether the call is safe to
repeat, so a table-driven test covers it:

* a connection that could not be opened (connect error, connect or pool timeout) is retried for
  every call: the request never reached the server; except a host name that does not resolve
  (a typo, an unknown host), which no retry cures;
* a read timeout, a connection broken mid-exchange, 408, 429 and 5xx are retried only when the call
  is safe to repeat: GET, HEAD, PUT, DELETE, or an operation the spec marks
  `x-bassa-safe-to-retry: true` (`safe_to_retry` in the generated `spec_facts`);
* anything else (4xx, malformed responses) is final.

A status error after an attempt that may have reached the server (its answer lost to a broken
connection, a read timeout or a 5xx) carries `after_unknown_outcome`: a DELETE retried that way
and answered 404 was done by the earlier attempt, and the resources report it as done.

A `Retry-After` (seconds or HTTP date) replaces the exponential backoff; beyond `max_retry_after`
or beyond the call's remaining deadline the call fails at once, carrying `.retry_after`. The loop
that waits and repeats is `AsyncRetrier` in `_async/_retrying.py`, the one module that talks to
stamina (its sync twin is generated from it).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from bassa_sdk._errors import APIConnectionError, APIStatusError, APITimeoutError

__all__ = [
    "Attempts",
    "RetryPolicy",
    "backoff",
    "may_have_reached_server",
    "should_retry",
    "unresolvable_host",
]

log = logging.getLogger("bassa")

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


def unresolvable_host(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is a host name that does not resolve: a typo or an
    unknown host, which asking again will not cure."""
    seen: BaseException | None = exc
    for _ in range(8):  # httpx -> httpcore -> socket: a short chain
        if seen is None:
            return False
        if isinstance(seen, socket.gaierror) and seen.errno != socket.EAI_AGAIN:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def should_retry(exc: BaseException, *, safe: bool) -> bool:
    """Whether `exc` from one attempt of a call (safe to repeat or not) deserves another attempt."""
    if isinstance(exc, APIConnectionError):
        if unresolvable_host(exc):
            return False
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


class Attempts:
    """One call's failed attempts: the first is replayed into stamina, and each later status
    error learns whether an attempt before it may have reached the server."""

    def __init__(self, first: Exception) -> None:
        self.replay: list[Exception] = [first]
        self.uncertain = may_have_reached_server(first)

    def failed(self, exc: Exception) -> None:
        """Record one more failed attempt."""
        if isinstance(exc, APIStatusError):
            exc.after_unknown_outcome = self.uncertain
        self.uncertain = self.uncertain or may_have_reached_server(exc)


def _describe(exc: Exception) -> str:
    """A few words on why an attempt failed, for the retry log line."""
    if isinstance(exc, APIStatusError):
        return f"status {exc.status_code}"
    if isinstance(exc, APITimeoutError):
        return "timeout"
    return type(exc.__cause__ or exc).__name__


def backoff(
    policy: RetryPolicy, name: str, *, safe: bool, deadline: float, clock: Callable[[], float]
) -> Callable[[Exception], bool | float]:
    """stamina's `on=` hook for one call: False ends it, True backs off, a number waits that long
    (a `Retry-After`). Logs each retry with its attempt number."""
    failures = 0

    def decide(exc: Exception) -> bool | float:
        nonlocal failures
        failures += 1
        if not should_retry(exc, safe=safe):
            return False
        retry_after = exc.retry_after if isinstance(exc, APIStatusError) else None
        remaining = deadline - clock()
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

    return decide
