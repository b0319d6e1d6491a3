"""The contract suite's own server: started once per session, stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract._server import SEED_FILE, ContractServer, start_contract_server
from tests.file_server import FileServer


@pytest.fixture(scope="session")
def contract_server(
    tmp_path_factory: pytest.TempPathFactory, file_server: FileServer
) -> Iterator[ContractServer]:
    """A disposable server for destructive fuzzing, separate from the shared `live_server`."""
    file_server.add("contract-seed.txt", SEED_FILE)
    seed_link = file_server.url_for("contract-seed.txt")
    server = start_contract_server(tmp_path_factory.mktemp("contract"), seed_link=seed_link)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def files(file_server: FileServer) -> FileServer:
    """The loopback file server downloads fetch from."""
    return file_server
