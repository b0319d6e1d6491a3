"""Start and stop real Bassa server processes for tests (used by the fixtures in conftest.py).

Each server is `python -m bassa_server` on a free 127.0.0.1 port with its own data folder, the
bootstrap admin, server key and secret given through the environment, and private-address
blocking off (tests fetch from loopback). Nothing `BASSA_*` leaks in from the test's own
environment; `database_url` points a server at PostgreSQL or MariaDB (tests/databases.py).
Its stderr goes to `server.log` in the data folder and is shown when the server fails to become
ready.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.waiting import wait_for

READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0
ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin-password-for-tests"
SERVER_KEY = "server-key-for-tests"
SECRET_KEY = "secret-key-for-tests-0123456789abcdef"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    """A Bassa server subprocess; `start()` returns once `/api/ready` answers 200."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    # empty: the default SQLite file in the data folder
    database_url: str = ""
    admin_user: str = ADMIN_USER
    admin_password: str = ADMIN_PASSWORD
    server_key: str = SERVER_KEY
    secret_key: str = SECRET_KEY
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> str:
        """The SQLAlchemy URL of the server's database (tests read and write rows through it)."""
        return self.database_url or f"sqlite:///{self.data_dir / 'bassa.db'}"

    @property
    def log_path(self) -> Path:
        """The server's stderr."""
        return self.data_dir / "server.log"

    def env(self) -> dict[str, str]:
        """The environment the server process runs with."""
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("BASSA_")}
        database = {"BASSA_DATABASE_URL": self.database_url} if self.database_url else {}
        return {
            **inherited,
            "BASSA_ADMIN_USER": self.admin_user,
            "BASSA_ADMIN_PASSWORD": self.admin_password,
            "BASSA_SERVER_KEY": self.server_key,
            "BASSA_SECRET_KEY": self.secret_key,
            "BASSA_BLOCK_PRIVATE_ADDRESSES": "0",
            "BASSA_LOG_LEVEL": "info",
            **database,
            **self.extra_env,
        }

    def start(self) -> None:
        """Start the process and wait (bounded) until it is ready."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "bassa_server", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--data-dir", str(self.data_dir)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, env=self.env(), stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_for(self._ready, within=READY_TIMEOUT_SECONDS, what="the server ready")
        except AssertionError:
            self.stop()
            self._fail(f"was not ready within {READY_TIMEOUT_SECONDS:.0f} s")

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            self._fail(f"exited with status {self.process.returncode}")
        try:
            return httpx.get(f"{self.url}/api/ready", timeout=2.0).status_code == 200
        except httpx.TransportError:
            return False

    def stop(self) -> int | None:
        """Ask the process to stop (SIGTERM), killing it if it does not within a bound.

        Returns its exit status (-SIGTERM: uvicorn re-raises the signal after a graceful
        shutdown), or None if it was not running.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        status = self.process.returncode
        self.process = None
        return status

    def restart(self) -> None:
        """Stop and start the same server on the same data folder and port."""
        self.stop()
        self.start()

    def aria2c_pids(self) -> list[int]:
        """The aria2c processes the running server started (its managed engine), from /proc."""
        return self.child_pids("aria2c")

    def child_pids(self, process_name: str) -> list[int]:
        """The descendants of the running server named `process_name` (e.g. `smokescreen`)."""
        if self.process is None:
            return []
        children: dict[int, list[int]] = {}
        names: dict[int, str] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue
            # "pid (name) state ppid ...": the name may hold spaces and parentheses
            name, rest = text[text.index("(") + 1 :].rsplit(")", 1)
            pid = int(text.split(" ", 1)[0])
            names[pid] = name
            children.setdefault(int(rest.split()[1]), []).append(pid)
        found, pending = [], [self.process.pid]
        while pending:
            for child in children.get(pending.pop(), []):
                pending.append(child)
                if names[child] == process_name:
                    found.append(child)
        return found

    def log(self) -> str:
        """Everything the server wrote so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _fail(self, why: str) -> None:
        raise RuntimeError(f"Bassa server on port {self.port} {why}; its log:\n{self.log()}")
