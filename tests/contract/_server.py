"""A Bassa server of the contract suite's own, so its destructive fuzzing starves no other test.

Schemathesis creates, renames, blocks and deletes users, queues and deletes downloads and starts
and pauses the queue. It gets a separate server process with its own data folder and port; the
shared `live_server` of the other integration tests never sees that traffic.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# the spec's own login example, so the examples phase signs in with a real account
ADMIN_USER = "admin"
ADMIN_PASSWORD = "bassa-admin-password"
_START_TIMEOUT = 60.0


@dataclass
class ContractServer:
    """A running server process and what a client needs to talk to it."""

    url: str
    data_dir: Path
    server_key: str
    process: subprocess.Popen[bytes]
    log_path: Path
    admin_user: str = ADMIN_USER
    admin_password: str = ADMIN_PASSWORD
    env: dict[str, str] = field(default_factory=dict)

    def stop(self) -> None:
        """Stop the process (it stops its own aria2c) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def log(self) -> str:
        """Everything the server wrote so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_contract_server(data_dir: Path, **extra_env: str) -> ContractServer:
    """Start `python -m bassa_server` on a free loopback port over a fresh `data_dir`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    server_key = secrets.token_hex(16)
    env = {
        **os.environ,
        "BASSA_ADMIN_USER": ADMIN_USER,
        "BASSA_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "BASSA_SERVER_KEY": server_key,
        "BASSA_LOG_LEVEL": "warning",
        **extra_env,
    }
    log_path = data_dir.parent / f"{data_dir.name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bassa_server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ContractServer(
        f"http://127.0.0.1:{port}",
        data_dir,
        server_key,
        process,
        log_path,
        env={k: v for k, v in env.items() if k.startswith("BASSA_")},
    )
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the contract server exited early:\n{server.log()[-4000:]}")
        try:
            if httpx.get(f"{server.url}/api/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"the contract server did not come up:\n{server.log()[-4000:]}")
