"""A missing aria2c stops the server at start with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy.orm import Session, sessionmaker

from bassa_server._config import Settings
from bassa_server._engine import DownloadEngine


async def test_a_missing_aria2c_is_a_clear_start_error(
    sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    """Without an aria2c binary, start() fails naming the package and the settings to use."""
    settings = Settings.load(
        {"data_dir": tmp_path / "data", "aria2c_path": str(tmp_path / "no-aria2c")}, environ={}
    )
    engine = DownloadEngine(settings, sessions, CollectorRegistry())
    with pytest.raises(RuntimeError, match=r"aria2c not found.*BASSA_ARIA2_URL"):
        await engine.start()
    assert engine.health()["engine"] == "stopped"
