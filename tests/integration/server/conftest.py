"""The server the HTTP-side tests use.

It is started like `live_server` but without the download engine: these tests set download
states directly in the database (as the engine would), and a running scheduler would race them.
"""

from __future__ import annotations

import pytest

from tests.conftest import MakeServer
from tests.live_server import LiveServer


@pytest.fixture(scope="session")
def server(make_server: MakeServer) -> LiveServer:
    """A Bassa server subprocess without the engine, logging at its most verbose level."""
    return make_server(BASSA_ENGINE="0", BASSA_LOG_LEVEL="debug")
