"""The contract suite's own server: started once per session, stopped at its end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.contract._server import ContractServer, start_contract_server


@pytest.fixture(scope="session")
def contract_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContractServer]:
    """A disposable server for destructive fuzzing, separate from the shared `live_server`."""
    server = start_contract_server(tmp_path_factory.mktemp("contract"))
    try:
        yield server
    finally:
        server.stop()
