"""Running the schemathesis command line against a server, as a maintainer would.

The suite drives the very command the README documents (`openapi/schemathesis.toml` plus the
server's address and credentials in the environment), so CI and a maintainer pointing the checks
at their own server exercise the same configuration. The CI profile is the file's fixed seed and
small example counts; `BASSA_FUZZ_PROFILE=long` raises the counts and draws a fresh seed (printed,
and reusable through `BASSA_FUZZ_SEED`).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.contract._server import ContractServer
from tests.spec import ROOT, SPEC_PATH

CONFIG_PATH = ROOT / "openapi" / "schemathesis.toml"
LONG_EXAMPLES = 300
_CLI_TIMEOUT = 1800


@dataclass(frozen=True)
class RunResult:
    """What one schemathesis run did: its exit code, output and JSON report."""

    returncode: int
    output: str
    report: dict[str, Any]

    def summary(self) -> str:
        """Operations, test cases and failures in one line, for logs and reports."""
        ops, cases = self.report["operations"], self.report["test_cases"]
        return (
            f"operations tested {ops['tested']}/{ops['selected']}, "
            f"test cases {cases['generated']}, failures {len(self.report['failures'])}, "
            f"seed {self.report['seed']}, {self.report['running_time']:.1f}s"
        )


def profile_args() -> list[str]:
    """Command line options of the chosen profile (`BASSA_FUZZ_PROFILE`: `ci` or `long`)."""
    profile = os.environ.get("BASSA_FUZZ_PROFILE", "ci")
    if profile == "ci":
        return []
    if profile == "long":
        seed = os.environ.get("BASSA_FUZZ_SEED") or str(random.randrange(2**31))
        return ["--max-examples", str(LONG_EXAMPLES), "--seed", seed]
    raise ValueError(f"BASSA_FUZZ_PROFILE must be 'ci' or 'long', not {profile!r}")


def run_schemathesis(
    server: ContractServer, phases: str, report_dir: Path, *extra: str
) -> RunResult:
    """Run `schemathesis run` with the project's config against `server`."""
    env = {
        **os.environ,
        "BASSA_URL": server.url,
        "BASSA_ADMIN_USER": server.user,
        "BASSA_ADMIN_PASSWORD": server.password,
        "BASSA_SERVER_KEY": server.server_key,
        "NO_COLOR": "1",
    }
    command = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(CONFIG_PATH),
        "run", str(SPEC_PATH),
        "--phases", phases,
        "--report", "json,junit",
        "--report-dir", str(report_dir),
        "--no-color",
        *profile_args(),
        *extra,
    ]  # fmt: skip
    completed = subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=_CLI_TIMEOUT,
        check=False,
        cwd=ROOT,
    )
    reports = sorted(report_dir.glob("json-*.json"))
    report = json.loads(reports[-1].read_text(encoding="utf-8")) if reports else {}
    return RunResult(completed.returncode, completed.stdout + completed.stderr, report)
