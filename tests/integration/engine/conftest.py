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


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder runs a real engine (aria2c): mark it `integration`."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.integration)
