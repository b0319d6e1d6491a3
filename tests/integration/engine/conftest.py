"""Fixtures that run a real engine (aria2c + scheduler) on a temporary database."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from .harness import Harness, engine_settings

EngineFactory = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


@pytest.fixture
def running_engine(tmp_path: Path) -> EngineFactory:
    """Start an engine with the given settings overrides for the length of an `async with`."""

    @contextlib.asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Harness]:
        harness = Harness(engine_settings(tmp_path / "data", **overrides))
        await harness.engine.start()
        try:
            yield harness
        finally:
            await harness.engine.stop()

    return start
