"""The server the HTTP-side tests use, once per database (`--databases`).

It is started like `live_server` but without the download engine: these tests set download
states directly in the database (as the engine would), and a running scheduler would race them.
Every test here runs on SQLite, PostgreSQL and MariaDB: this folder is the whole HTTP surface
(users, sessions, downloads, files, bad input) in a few seconds per database, so it is where a
difference between the databases shows first.
"""

from __future__ import annotations

import pytest

from tests.conftest import MakeServer
from tests.live_server import LiveServer


@pytest.fixture(scope="session")
def server(make_server: MakeServer, database: str) -> LiveServer:
    """A Bassa server subprocess on `database`, without the engine, logging at its most
    verbose level."""
    return make_server(database=database, BASSA_ENGINE="0", BASSA_LOG_LEVEL="debug")
