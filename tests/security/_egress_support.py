"""What the outbound-fetch attacks need: a "public" host, a forbidden one, a lying DNS server.

127.0.0.2 stands in for a public host (the servers under test let it through with
`BASSA_ALLOWED_PRIVATE_NETWORKS=127.0.0.2/32`); 127.0.0.1 is the forbidden inside, where the
Bassa server itself and any "secret" service listen. `RebindingDns` is a real DNS server on
loopback (UDP, dnspython's wire format) whose answer for a name can change after N queries: the
link check and the egress proxy both ask it (`BASSA_EGRESS_RESOLVER`).
"""

from __future__ import annotations

import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dns.exception
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.file_server import FileServer
from tests.live_server import LiveServer

PUBLIC_HOST = "127.0.0.2"
ALLOWED = f"{PUBLIC_HOST}/32"
WAIT_SECONDS = 60.0
http = httpx.Client(timeout=30.0)


class RebindingDns:
    """A UDP DNS server on 127.0.0.1 answering A queries from a table of names.

    Each name maps to a list of answers; the n-th query gets the n-th answer and the last one
    repeats, so `["127.0.0.2", "127.0.0.1"]` answers a public address once and then the inside.
    """

    def __init__(self) -> None:
        self._answers: dict[str, list[str]] = {}
        self._asked: dict[str, int] = {}
        self._lock = threading.Lock()
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.address = f"127.0.0.1:{self._socket.getsockname()[1]}"
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def answer(self, name: str, addresses: list[str]) -> None:
        """Answer A queries for `name` with `addresses` in turn (the last one repeats)."""
        with self._lock:
            self._answers[name.rstrip(".").lower()] = list(addresses)
            self._asked[name.rstrip(".").lower()] = 0

    def asked(self, name: str) -> int:
        """How many A queries for `name` arrived."""
        with self._lock:
            return self._asked.get(name.rstrip(".").lower(), 0)

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self._socket.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                packet, client = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            try:
                query = dns.message.from_wire(packet)
            except dns.exception.DNSException:  # not DNS: ignore it, as a resolver would
                continue
            self._socket.sendto(self._reply(query).to_wire(), client)

    def _reply(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        with self._lock:
            answers = self._answers.get(name)
            if answers is None:
                reply.set_rcode(dns.rcode.NXDOMAIN)
                return reply
            if question.rdtype != dns.rdatatype.A:
                return reply  # the name exists, with no address of that type
            turn = self._asked[name]
            self._asked[name] = turn + 1
        address = answers[min(turn, len(answers) - 1)]
        reply.answer.append(dns.rrset.from_text(question.name, 0, "IN", "A", address))
        return reply


def smokescreen_binary() -> str:
    """The smokescreen scripts/setup installed beside this Python (else the one on PATH)."""
    beside = Path(sys.executable).parent / "smokescreen"
    return str(beside) if beside.is_file() else shutil.which("smokescreen") or "smokescreen"


def servers_on(host: str) -> Iterator[FileServer]:
    """A started file server on `host`, stopped afterwards (for module fixtures)."""
    server = FileServer(host)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def guarded_env(dns_server: RebindingDns | None = None, **variables: str) -> dict[str, str]:
    """Settings of a server that refuses private addresses except the stand-in public host."""
    env = {
        "BASSA_BLOCK_PRIVATE_ADDRESSES": "1",
        "BASSA_ALLOWED_PRIVATE_NETWORKS": ALLOWED,
        "BASSA_ENGINE_POLL_SECONDS": "0.2",
        "BASSA_MIN_FREE_BYTES": "0",
        **variables,
    }
    if dns_server is not None:
        env["BASSA_EGRESS_RESOLVER"] = dns_server.address
    return env


def admin(server: LiveServer) -> dict[str, str]:
    """Headers that carry the server key (queue start and pause)."""
    return {"key": server.server_key}


def start_queue(server: LiveServer) -> None:
    """Start the download queue."""
    response = http.get(f"{server.url}/api/download/start", headers=admin(server))
    assert response.status_code == 200, response.text


def status_of(server: LiveServer, token: str, download_id: int) -> dict[str, Any]:
    """One download's status as its owner sees it."""
    response = http.get(f"{server.url}/api/download/{download_id}/status", headers={"token": token})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def wait_until(probe: Callable[[], Any], within: float = WAIT_SECONDS, what: str = "") -> Any:
    """Call `probe` every 50 ms until it returns something truthy; fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        result = probe()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {within} s: {what or probe}"
        time.sleep(0.05)


def holds_for(probe: Callable[[], Any], seconds: float) -> None:
    """Assert that `probe` stays truthy, checked every 50 ms for `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert probe(), f"stopped holding within {seconds} s: {probe}"
        time.sleep(0.05)


def wait_finished(server: LiveServer, token: str, download_id: int) -> dict[str, Any]:
    """Wait (bounded) until a download is completed (3) or failed (4); return its status."""

    def finished() -> dict[str, Any] | None:
        body = status_of(server, token, download_id)
        return body if body["status"] in {3, 4} else None

    result: dict[str, Any] = wait_until(finished, what=f"download {download_id} to finish")
    return result


def metric(server: LiveServer, name: str, labels: Mapping[str, str] | None = None) -> float:
    """One sample of the server's /metrics (0 when absent)."""
    text = http.get(f"{server.url}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and dict(sample.labels) == dict(labels or {}):
                return float(sample.value)
    return 0.0
