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


def test_cli_journey(server: Any, files: Any, tmp_path: Path) -> None:
    """login, add, queue start, get --wait, ls --json, and exit codes for mistakes."""
    data = os.urandom(256 * 1024)
    name = unique("c") + ".bin"
    files.add(name, data)

    assert bassa(tmp_path, server, "ls").returncode == 3
    login = bassa(
        tmp_path, server, "login", "-u", server.admin_user, input=f"{server.admin_password}\n"
    )
    assert login.returncode == 0, login.stderr
    saved = tmp_path / ".config" / "bassa" / "credentials.json"
    assert oct(saved.stat().st_mode & 0o777) == "0o600"

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
    assert bassa(tmp_path, server, "rm", "987654321").returncode == 4
    assert bassa(tmp_path, server, "rate", str(download_id), "9").returncode == 2
    users = bassa(tmp_path, server, "admin", "users", "--json")
    assert server.admin_user in [u["user_name"] for u in json.loads(users.stdout)]
