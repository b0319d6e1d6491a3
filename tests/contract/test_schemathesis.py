"""Every operation of the spec holds up against every schemathesis check on a live server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract._run import run_schemathesis
from tests.contract._server import ContractServer
from tests.spec import operations

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _explain(result_output: str, server: ContractServer) -> str:
    return f"{result_output[-12000:]}\n--- server log ---\n{server.log()[-6000:]}"


def test_every_operation_passes_every_check(
    contract_server: ContractServer, tmp_path: Path
) -> None:
    """Examples, coverage and fuzzing of every operation raise no check failure and no error."""
    result = run_schemathesis(contract_server, "examples,coverage,fuzzing", tmp_path)
    print(result.summary())
    assert result.returncode == 0, _explain(result.output, contract_server)
    tested = result.report["operations"]
    assert tested["selected"] == len(operations())
    assert tested["tested"] == tested["selected"], result.summary()


def test_workflows_over_links_pass_every_check(
    contract_server: ContractServer, tmp_path: Path
) -> None:
    """Call sequences chained through the spec's links (stateful phase) raise no failure."""
    result = run_schemathesis(contract_server, "stateful", tmp_path)
    print(result.summary())
    assert result.returncode == 0, _explain(result.output, contract_server)
    assert result.report["phases"]["stateful"]["status"] == "success", result.summary()
