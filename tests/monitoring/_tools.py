"""Paths and command-line tools shared by the monitoring tests.

The tools come from scripts/setup (Debian's prometheus and prometheus-alertmanager packages,
kubectl from the dev extra). A missing tool fails the test that needs it: a skipped check
would pass CI without checking anything.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
MONITORING = DEPLOY / "monitoring"
RULES_DIR = MONITORING / "prometheus" / "rules"
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
PROMTOOL_TESTS_DIR = Path(__file__).resolve().parent / "promtool"
PROMTOOL_TESTS = sorted(PROMTOOL_TESTS_DIR.glob("*_test.yml"))
ALERTMANAGER_CONFIG = MONITORING / "alertmanager" / "alertmanager.yml"
PROMETHEUS_CONFIG = MONITORING / "prometheus" / "prometheus.yml"
DASHBOARDS_DIR = MONITORING / "grafana" / "dashboards"
OVERLAYS = sorted(path.parent for path in (DEPLOY / "overlays").glob("*/kustomization.yaml"))
RUNBOOKS = ROOT / "docs" / "runbooks.md"


def _links() -> ModuleType:
    """deploy/monitoring/links.py, the one place that builds links into the published docs."""
    spec = importlib.util.spec_from_file_location("bassa_deploy_links", MONITORING / "links.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LINKS = _links()
RUNBOOK_URL_PREFIX: str = LINKS.page_url(LINKS.RUNBOOKS_PAGE) + "#"


def tool(name: str) -> str:
    """The path of a command-line tool: the virtual environment's first, then PATH."""
    in_venv = Path(sys.executable).parent / name
    if in_venv.is_file():
        return str(in_venv)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run scripts/setup server,dev")
    return found


def run(
    *args: str, cwd: Path | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run a command (with `stdin` as its input) and return its result, whatever its exit."""
    return subprocess.run(
        args, input=stdin, capture_output=True, text=True, cwd=cwd, timeout=timeout, check=False
    )
