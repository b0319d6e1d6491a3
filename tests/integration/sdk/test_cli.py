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
    refused = bassa(tmp_path, server, "admin", "delete", name)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert bassa(tmp_path, server, "admin", "delete", name, "--yes").returncode == 0
    assert bassa(tmp_path, server, "admin", "delete", name, "--yes").returncode == 4
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

    again = bassa(tmp_path, server, "get", str(download_id), "-o", str(out))
    assert again.returncode == 1 and "--clobber" in again.stderr
    with (tmp_path / "piped.bin").open("wb") as sink:
        command = [sys.executable, "-c", "from bassa_sdk._cli import main; main()"]
        env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / ".config")}
        env["BASSA_URL"] = server.url
        piped = subprocess.run(
            [*command, "get", str(download_id), "-o", "-"],
            env=env,
            stdout=sink,
            timeout=180,
            check=False,
        )
    assert piped.returncode == 0 and (tmp_path / "piped.bin").read_bytes() == data
    rows = bassa(tmp_path, server, "ls").stdout.splitlines()
    mine = next(r.split("\t") for r in rows if r.split("\t")[0] == str(download_id))
    assert mine[2] == "completed" and mine[3] == str(len(data)) and len(mine[5]) == 16
    removed = bassa(tmp_path, server, "rm", str(download_id))
    assert removed.returncode == 1
    assert f"download {download_id} is completed" in removed.stderr
    assert "started" not in removed.stderr
    zipped = bassa(tmp_path, server, "zip", str(download_id), "-o", str(tmp_path / "one.zip"))
    assert zipped.returncode == 0, zipped.stderr
    assert (tmp_path / "one.zip").read_bytes()[:2] == b"PK"


def test_cli_says_plainly_when_the_server_is_down_or_not_bassa(
    server: Any, files: Any, tmp_path: Path
) -> None:
    """A closed port is one line at once; a server that is not Bassa is named as such."""
    import socket
    import time

    _login(tmp_path, server)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    started = time.monotonic()
    down = bassa(tmp_path, server, "--url", closed, "queue", "start")
    assert down.returncode == 5
    assert down.stderr.strip() == f"error: cannot reach {closed} — is bassa-server running?"
    assert time.monotonic() - started < 10  # one attempt, not seconds of retries
    other = bassa(tmp_path, server, "--url", files.url, "queue", "start")
    assert other.returncode == 5 and "does not look like a Bassa server" in other.stderr
    assert "Traceback" not in down.stderr + other.stderr
