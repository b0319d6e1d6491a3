"""The `bassa` command line as a user runs it: a subprocess with its own config directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.sdk.conftest import unique

pytestmark = pytest.mark.integration


def bassa(
    home: Path, server: Any, *args: str, input: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed CLI with HOME and XDG_CONFIG_HOME in `home`."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "BASSA_URL": server.url,
        "BASSA_SERVER_KEY": server.server_key,
    }
    env.pop("BASSA_TOKEN", None)
    command = [sys.executable, "-c", "from bassa_sdk._cli import main; main()", *args]
    return subprocess.run(
        command,
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=home,
        check=False,
    )


def _login(home: Path, server: Any) -> None:
    login = bassa(
        home, server, "login", "-u", server.admin_user, input=f"{server.admin_password}\n"
    )
    assert login.returncode == 0, login.stderr


def test_cli_session_listing_and_exit_codes(server: Any, tmp_path: Path) -> None:
    """login saves a private session; tables, JSON and exit codes work against the server."""
    assert bassa(tmp_path, server, "ls").returncode == 3
    bad = bassa(tmp_path, server, "login", "-u", server.admin_user, input="wrong-password\n")
    assert bad.returncode == 3
    _login(tmp_path, server)
    saved = tmp_path / ".config" / "bassa" / "credentials.json"
    assert oct(saved.stat().st_mode & 0o777) == "0o600"

    name = unique("c")
    add = bassa(
        tmp_path,
        server,
        "admin",
        "add",
        name,
        f"{name}@example.org",
        input="pw-pw-pw-pw\npw-pw-pw-pw\n",
    )
    assert add.returncode == 0, add.stderr
    users = bassa(tmp_path, server, "admin", "users", "--json")
    assert name in [u["user_name"] for u in json.loads(users.stdout)]
    table = bassa(tmp_path, server, "admin", "users")
    assert name in table.stdout
    assert bassa(tmp_path, server, "admin", "delete", name).returncode == 0
    assert bassa(tmp_path, server, "admin", "delete", name).returncode == 4
    assert bassa(tmp_path, server, "rm", "987654321").returncode == 4
    assert bassa(tmp_path, server, "rate", "1", "9").returncode == 2
    status = bassa(tmp_path, server, "queue", "status", "--json")
    assert status.returncode == 0 and "state" in json.loads(status.stdout)
    assert bassa(tmp_path, server, "ls", "--json").returncode == 0


def test_cli_download_journey(server: Any, files: Any, tmp_path: Path) -> None:
    """add, queue start, get --wait and ls --json drive a whole download."""
    data = os.urandom(256 * 1024)
    name = unique("c") + ".bin"
    files.add(name, data)
    _login(tmp_path, server)
    added = bassa(tmp_path, server, "add", files.url_for(name), "--json")
    assert added.returncode == 0, added.stderr
    download_id = json.loads(added.stdout)["id"]
    assert bassa(tmp_path, server, "queue", "start").returncode == 0
    out = tmp_path / "fetched.bin"
    got = bassa(tmp_path, server, "get", str(download_id), "--wait", "-o", str(out))
    assert got.returncode == 0, got.stderr
    assert out.read_bytes() == data
    listing = bassa(tmp_path, server, "ls", "--json")
    assert download_id in [row["id"] for row in json.loads(listing.stdout)]
