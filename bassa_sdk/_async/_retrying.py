"""The retry loop: the one module that talks to stamina.

Which failures are retried, and for how long, is decided in `_retry.py`; this module runs the
attempts. The happy path and final errors pay nothing for the machinery: stamina starts at the
first retryable failure, which is replayed into it as its own first attempt, so attempt counts,
waits and instrumentation are exact. Waits run through stamina, so `stamina.set_testing` makes
tests instant and stamina's Prometheus and structlog hooks count the SDK's retries under the
name `bassa.<operationId>` (with no arguments: they may hold passwords).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import stamina

from bassa_sdk._call import AsyncThunk
from bassa_sdk._retry import Attempts, RetryPolicy, backoff, should_retry

__all__ = ["AsyncRetrier"]

T = TypeVar("T")


class AsyncRetrier:
    """Runs one call's attempts under a policy; shared by a client's tasks."""

    def __init__(self, policy: RetryPolicy, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.policy = policy
        self._clock = clock

    async def run(self, attempt: AsyncThunk[T], *, name: str, safe: bool) -> T:
        """Run `attempt` until it succeeds, its error is final, or attempts or deadline run out."""
        started = self._clock()
        try:
            return await attempt()
        except Exception as exc:
            if not should_retry(exc, safe=safe) or self.policy.max_attempts == 1:
                raise
            attempts = Attempts(exc)

        async def again() -> T:
            if attempts.replay:
                raise attempts.replay.pop()
            try:
                return await attempt()
            except Exception as exc:
                attempts.failed(exc)
                raise

        policy = self.policy
        retrying = stamina.retry_context(
            on=backoff(
                policy, name, safe=safe, deadline=started + policy.deadline, clock=self._clock
            ),
            attempts=policy.max_attempts,
            timeout=policy.deadline or None,
            wait_initial=policy.wait_initial,
            wait_max=policy.wait_max,
        ).with_name(f"bassa.{name}", (), {})
        async for trial in retrying:
            with trial:
                result = await again()
        return result
