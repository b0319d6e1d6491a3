"""The server the HTTP-side tests use.

It is started like `live_server` but without the download engine: these tests set download
states directly in the database (as the engine would), and a running scheduler would race them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import MakeServer
from tests.live_server import LiveServer


@pytest.fixture(scope="session")
def server(make_server: MakeServer) -> LiveServer:
    """A Bassa server subprocess without the engine, logging at its most verbose level."""
    return make_server(BASSA_ENGINE="0", BASSA_LOG_LEVEL="debug")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder needs a live server: mark it `integration`."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.integration)
