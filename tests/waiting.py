"""Bounded polling: tests wait for a condition, never for a fixed time.

`wait_for` calls a probe until it returns something truthy and returns that; after `within`
seconds it fails the test with `what` in the message. Limits are generous (a loaded machine is
slow), and a condition met early ends the wait at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

__all__ = ["POLL_SECONDS", "WAIT_SECONDS", "wait_for", "wait_for_async"]

T = TypeVar("T")
#: The default bound of a wait, in seconds.
WAIT_SECONDS = 30.0
#: Seconds between two probes.
POLL_SECONDS = 0.05


def wait_for(
    probe: Callable[[], T | None],
    *,
    within: float = WAIT_SECONDS,
    every: float = POLL_SECONDS,
    what: str = "condition",
) -> T:
    """Call `probe` every `every` s until it returns something truthy; fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within} s (last: {result!r})")
        time.sleep(every)


async def wait_for_async(
    probe: Callable[[], Any] | Callable[[], Awaitable[Any]],
    *,
    within: float = WAIT_SECONDS,
    every: float = POLL_SECONDS,
    what: str = "condition",
) -> Any:
    """`wait_for` for the event loop: `probe` may be a function or a coroutine function."""
    deadline = time.monotonic() + within
    while True:
        result = probe()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {within} s (last: {result!r})")
        await asyncio.sleep(every)
