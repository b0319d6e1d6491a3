"""Server settings come from options, then BASSA_* variables, then working defaults."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bassa_server._config import Settings


def test_defaults_live_in_the_data_folder(tmp_path: Path) -> None:
    """With only a data folder, the database, downloads and zips all go inside it."""
    settings = Settings.load({"data_dir": tmp_path}, environ={})
    assert settings.database_url == f"sqlite:///{tmp_path / 'bassa.db'}"
    assert settings.downloads_dir == tmp_path / "downloads"
    assert settings.zips_dir.is_dir()
    assert (settings.host, settings.port) == ("127.0.0.1", 5000)


def test_environment_is_read_and_options_win(tmp_path: Path) -> None:
    """BASSA_* variables are typed; an explicit option beats the environment."""
    env = {
        "BASSA_PORT": "8080",
        "BASSA_HOST": "0.0.0.0",
        "BASSA_BLOCK_PRIVATE_ADDRESSES": "off",
        "BASSA_ALLOWED_SCHEMES": "https, ftp",
        "BASSA_ENGINE_POLL_SECONDS": "0.25",
    }
    settings = Settings.load({"data_dir": tmp_path, "host": "127.0.0.1"}, environ=env)
    assert settings.port == 8080
    assert settings.host == "127.0.0.1"
    assert settings.block_private_addresses is False
    assert settings.allowed_schemes == ("https", "ftp")
    assert settings.engine_poll_seconds == 0.25


def test_a_bad_value_names_its_variable(tmp_path: Path) -> None:
    """A value of the wrong type fails with the variable's name, before the server starts."""
    with pytest.raises(ValueError, match="BASSA_PORT"):
        Settings.load({"data_dir": tmp_path}, environ={"BASSA_PORT": "eighty"})


def test_generated_secrets_persist_privately(tmp_path: Path) -> None:
    """Missing keys are generated once, kept with mode 0600, and the same on the next start."""
    first = Settings.load({"data_dir": tmp_path}, environ={})
    second = Settings.load({"data_dir": tmp_path}, environ={})
    assert first.secret_key == second.secret_key
    assert first.server_key == second.server_key
    assert first.secret_key != first.server_key
    mode = stat.S_IMODE((tmp_path / "server_key").stat().st_mode)
    assert mode == 0o600


def test_secrets_stay_out_of_the_repr(tmp_path: Path) -> None:
    """Printing the settings (e.g. in a log line) never shows a key or a password."""
    settings = Settings.load(
        {"data_dir": tmp_path, "server_key": "key-123456", "admin_password": "pw-123456"},
        environ={},
    )
    text = repr(settings)
    assert "key-123456" not in text
    assert "pw-123456" not in text
    assert settings.secret_key not in text


def test_a_claim_timeout_shorter_than_three_heartbeats_is_refused(tmp_path: Path) -> None:
    """A claim timeout that two missed heartbeats could exceed is refused, naming the variable;
    the defaults (5 s heartbeats, 20 s timeout) load."""
    with pytest.raises(ValueError, match="BASSA_ENGINE_CLAIM_TIMEOUT_SECONDS"):
        Settings.load({"data_dir": tmp_path}, environ={"BASSA_ENGINE_CLAIM_TIMEOUT_SECONDS": "14"})
    settings = Settings.load({"data_dir": tmp_path}, environ={})
    assert (settings.engine_heartbeat_seconds, settings.engine_claim_timeout_seconds) == (5, 20)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BASSA_DB_POOL_SIZE", "0"),
        ("BASSA_DB_STATEMENT_TIMEOUT", "-1"),
        ("BASSA_DB_ENGINE_STATEMENT_TIMEOUT", "-0.5"),
    ],
)
def test_database_limits_that_would_stop_every_request_are_refused(
    tmp_path: Path, variable: str, value: str
) -> None:
    """A pool of no connections or a negative statement limit fails at start, naming the
    variable (0 seconds is allowed: it means no limit)."""
    with pytest.raises(ValueError, match=variable):
        Settings.load({"data_dir": tmp_path}, environ={variable: value})
    unlimited = Settings.load({"data_dir": tmp_path}, environ={"BASSA_DB_STATEMENT_TIMEOUT": "0"})
    assert unlimited.db_statement_timeout == 0
