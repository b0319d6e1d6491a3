"""The two ways to wait, named so the sync client's code can be generated from the async one.

`bassa_sdk/_async/` awaits `asleep`; generating `bassa_sdk/_sync/` renames it to `sleep`.
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["asleep", "sleep"]


async def asleep(seconds: float) -> None:
    """Suspend the current task for `seconds`."""
    await asyncio.sleep(seconds)


def sleep(seconds: float) -> None:
    """Block the current thread for `seconds`."""
    time.sleep(seconds)
