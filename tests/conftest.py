"""Session fixtures shared by every test folder: real Bassa servers on loopback.

`live_server` is one server for the whole session (tests must not assume an empty database);
`make_server` starts extra servers with their own settings (a short token lifetime, a quota),
stopped at the end of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.live_server import LiveServer

MakeServer = Callable[..., LiveServer]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A Bassa server subprocess with a fresh data folder, stopped after the session."""
    server = LiveServer(data_dir=tmp_path_factory.mktemp("bassa-live"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def make_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MakeServer]:
    """A factory of extra servers: `make_server(BASSA_TOKEN_TTL_SECONDS="1")`, all stopped later."""
    started: list[LiveServer] = []

    def make(env: Mapping[str, str] | None = None, **variables: str) -> LiveServer:
        data_dir: Path = tmp_path_factory.mktemp("bassa-extra")
        server = LiveServer(data_dir=data_dir, extra_env={**(env or {}), **variables})
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()
