"""Slowloris and connection floods: slow or idle clients cannot hold the server's connections.

The server runs with its default header and keep-alive deadlines (5 s each), a short body deadline
and a connection cap, so each attack is over in seconds.
"""

from __future__ import annotations

import contextlib
import socket
import time

import httpx
import pytest

from tests.conftest import MakeServer
from tests.live_server import LiveServer
from tests.security._http_support import log_entries, open_connection, still_open, wait_until

pytestmark = pytest.mark.integration

HALF_OPEN = 300
HEADER_DEADLINE = 5.0  # the server's default
BODY_DEADLINE = 2.0
CAP = 400
SLACK = 5.0  # a loaded machine is slow to schedule the closes; the bound itself is the deadline


@pytest.fixture(scope="module")
def guarded(make_server: MakeServer) -> LiveServer:
    """A server with the default header and keep-alive deadlines, a 2 s body deadline and a cap
    of 400 connections."""
    return make_server(
        BASSA_ENGINE="0",
        BASSA_BODY_TIMEOUT_SECONDS=str(BODY_DEADLINE),
        BASSA_MAX_CONNECTIONS=str(CAP),
    )


def close_all(sockets: list[socket.socket]) -> None:
    """Close the test's side of every socket."""
    for sock in sockets:
        sock.close()


def test_half_open_connections_are_closed_while_others_are_served(guarded: LiveServer) -> None:
    """300 connections trickling headers and one idle keep-alive are closed by the deadlines,
    and ordinary requests are answered all along."""
    idle = open_connection(guarded, b"GET /api/health HTTP/1.1\r\nHost: bassa\r\n\r\n")
    slow = [
        open_connection(guarded, b"GET /api/health HTTP/1.1\r\nHost: bassa\r\n")
        for _ in range(HALF_OPEN)
    ]
    opened = time.monotonic()
    served = 0
    try:
        with httpx.Client(base_url=guarded.url, timeout=10.0) as client:

            def attack_round() -> bool:
                nonlocal served
                open_ones = still_open([idle, *slow])
                for sock in open_ones:  # a header line now and then, as slowloris does
                    if sock is idle:
                        continue
                    with contextlib.suppress(OSError):
                        sock.send(b"X-a: b\r\n")
                response = client.get("/api/health", headers={"connection": "close"})
                assert response.status_code == 200
                served += 1
                return not open_ones

            took = wait_until(attack_round, timeout=HEADER_DEADLINE + SLACK, interval=0.5)
    finally:
        close_all([idle, *slow])
    print(f"{HALF_OPEN} half-open connections gone after {took:.1f} s; {served} requests served")
    assert time.monotonic() - opened <= HEADER_DEADLINE + SLACK
    assert served >= 3


def test_a_body_that_never_arrives_is_cut_off(guarded: LiveServer) -> None:
    """A request that announces a body and stops sending is closed at the body deadline,
    without an error in the server log."""
    before = len(log_entries(guarded))
    sock = open_connection(
        guarded,
        b"POST /api/regularuser HTTP/1.1\r\nHost: bassa\r\ncontent-type: application/json\r\n"
        b'content-length: 100\r\n\r\n{"user_name": ',
    )
    try:
        took = wait_until(lambda: not still_open([sock]), timeout=BODY_DEADLINE + SLACK)
    finally:
        sock.close()
    assert took >= BODY_DEADLINE - 0.5
    assert [e for e in log_entries(guarded)[before:] if e["level"] not in ("info", "debug")] == []


def test_connections_over_the_cap_are_refused_with_503(guarded: LiveServer) -> None:
    """With the cap's worth of connections open, a further request gets a JSON 503 with
    Retry-After (and the log a warning), and requests succeed again once those connections are
    gone."""
    held = [open_connection(guarded) for _ in range(CAP)]
    try:
        with httpx.Client(base_url=guarded.url, timeout=10.0) as client:
            refused = client.get("/api/health")
            assert refused.status_code == 503
            assert refused.json() == {
                "error": "server busy: too many connections, try again shortly"
            }
            assert refused.headers["retry-after"] == "1"
            close_all(held)
            wait_until(lambda: client.get("/api/health").status_code == 200, timeout=SLACK)
    finally:
        close_all(held)
    warnings = [e for e in log_entries(guarded) if e["level"] == "warning"]
    assert [(e["message"], e["max_connections"]) for e in warnings] == [
        ("refused requests over the connection cap", CAP)
    ]
