"""What the security tests share: one server without the engine, raw sockets and log reading.

The server is started once for every module that asks for it (through `shared_server`), so the
suite pays for one start; modules that need other limits start their own with `make_server`.
"""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterable
from typing import Any

from tests.conftest import MakeServer
from tests.live_server import LiveServer

_shared: dict[str, LiveServer] = {}


def shared_server(make_server: MakeServer) -> LiveServer:
    """The session's server for security tests: no engine, debug logging."""
    if "server" not in _shared:
        _shared["server"] = make_server(BASSA_ENGINE="0", BASSA_LOG_LEVEL="debug")
    return _shared["server"]


def log_entries(server: LiveServer) -> list[dict[str, Any]]:
    """The server's structured log lines so far (other lines, such as tracebacks, as text)."""
    entries = []
    for line in server.log().splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            entry = {"level": "unstructured", "message": line}
        if isinstance(entry, dict):
            entries.append(entry)
    return entries


def open_connection(server: LiveServer, first_bytes: bytes = b"") -> socket.socket:
    """A raw TCP connection to the server that has sent `first_bytes`."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    if first_bytes:
        sock.sendall(first_bytes)
    sock.setblocking(False)
    return sock


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed `sock` (reading it ends or fails), without waiting."""
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        while chunk := sock.recv(65536):
            del chunk  # a response before the close (a 408 or 503) is read and dropped
    except BlockingIOError:
        return False
    except OSError:
        return True
    return True


def still_open(sockets: Iterable[socket.socket]) -> list[socket.socket]:
    """The sockets the server has not closed yet."""
    return [sock for sock in sockets if not closed_by_server(sock)]


def wait_until(condition: Any, timeout: float, interval: float = 0.1) -> float:
    """Poll `condition()` until true; the seconds it took (AssertionError after `timeout`)."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - start
