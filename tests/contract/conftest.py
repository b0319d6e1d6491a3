"""The contract suite's own server: started once per session, stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract._server import SEED_FILE, ContractServer, start_contract_server


@pytest.fixture(scope="session")
def contract_server(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[ContractServer]:
    """A disposable server for destructive fuzzing, separate from the shared `live_server`."""
    try:
        file_server = request.getfixturevalue("file_server")
    except pytest.FixtureLookupError:
        seed_link = None  # before the engine lands nothing can complete; fuzz without the seed
    else:
        file_server.add("contract-seed.txt", SEED_FILE)
        seed_link = file_server.url_for("contract-seed.txt")
    server = start_contract_server(tmp_path_factory.mktemp("contract"), seed_link=seed_link)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def files(request: pytest.FixtureRequest) -> object:
    """The loopback file server downloads fetch from (skips before the engine has landed)."""
    try:
        return request.getfixturevalue("file_server")
    except pytest.FixtureLookupError:
        pytest.skip("no file_server fixture in this checkout (the engine has not landed)")
