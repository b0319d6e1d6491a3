"""`bassa-server migrate`, the deployment's migration step: it brings a database to the newest
schema and exits, and running it again changes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from bassa_server._db import migrate

pytestmark = pytest.mark.integration


def _migrate(data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BASSA_DATA_DIR": str(data_dir), "BASSA_LOG_LEVEL": "info"}
    env.pop("BASSA_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bassa_server", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_migrate_brings_an_empty_database_to_head_and_exits(tmp_path: Path) -> None:
    """On an empty database the command exits 0 with the schema at the newest revision, and a
    second run (every new pod of a rollout runs it) leaves it there."""
    for _ in range(2):
        result = _migrate(tmp_path)
        assert result.returncode == 0, result.stderr
        assert "migrated" in result.stderr + result.stdout
        engine = create_engine(f"sqlite:///{tmp_path / 'bassa.db'}")
        try:
            assert migrate.current_revision(engine) == migrate.head_revision()
        finally:
            engine.dispose()


def test_migrate_refuses_a_bad_setting(tmp_path: Path) -> None:
    """A malformed setting stops the command with status 2 before touching any database."""
    env_result = subprocess.run(
        [sys.executable, "-m", "bassa_server", "migrate", "--port", "not-a-port"],
        env={**os.environ, "BASSA_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert env_result.returncode == 2
    assert not (tmp_path / "bassa.db").exists()
