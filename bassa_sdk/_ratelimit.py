"""The opt-in client-side rate limiter: one token bucket per client, counting every attempt.

It is a GCRA (generic cell rate algorithm), the arithmetic form of a token bucket: each request
reserves the next free slot under a lock and then sleeps outside it until that slot comes. A
reservation never waits for another, so threads of a `Bassa` and tasks of an `AsyncBassa` share
one bucket without a queue, the long-run rate is exact, and no window ever sees more than `burst`
requests beyond the rate. The clock and the sleep are injected so tests never sleep.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable

from bassa_sdk._config import RateLimit

__all__ = ["TokenBucket"]


class TokenBucket:
    """`rate` requests per second on average, up to `burst` at once, shared by threads and tasks."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        async_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self._interval = 1.0 / limit.rate
        # how far ahead of schedule the bucket lets requests run: the burst beyond the first
        self._tolerance = (limit.burst - 1) * self._interval
        self._clock = clock
        self._sleep = sleep
        self._async_sleep = async_sleep
        self._lock = threading.Lock()
        self._theoretical_arrival = clock()

    def __repr__(self) -> str:
        return f"TokenBucket(rate={self.limit.rate}, burst={self.limit.burst})"

    def reserve(self) -> float:
        """Take the next slot and return how many seconds to wait before using it."""
        with self._lock:
            now = self._clock()
            arrival = max(self._theoretical_arrival, now)
            self._theoretical_arrival = arrival + self._interval
            return max(0.0, arrival - self._tolerance - now)

    def pause(self, seconds: float) -> None:
        """Hold every request for `seconds` (a server's `Retry-After`), with no burst after it."""
        with self._lock:
            resume = self._clock() + seconds
            self._theoretical_arrival = max(self._theoretical_arrival, resume + self._tolerance)

    def acquire(self) -> None:
        """Block the calling thread until it may send one request."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)

    async def acquire_async(self) -> None:
        """Suspend the calling task until it may send one request."""
        wait = self.reserve()
        if wait > 0:
            await self._async_sleep(wait)
