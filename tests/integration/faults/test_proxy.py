"""The fault proxy does exactly what its plan says, checked against a tiny loopback server."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.faults import (
    FaultProxy,
    Rule,
    drip,
    latency,
    reset_after,
    reset_before,
    status,
    truncate,
)

pytestmark = pytest.mark.integration

PAYLOAD = bytes(range(256)) * 64  # 16 KiB, every byte value


class _Upstream(ThreadingHTTPServer):
    """Counts the requests it handled, per path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hits: dict[str, int] = {}
        self.hits_lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    server: _Upstream

    def _count(self) -> None:
        with self.server.hits_lock:
            key = f"{self.command} {self.path}"
            self.server.hits[key] = self.server.hits.get(key, 0) + 1

    def do_GET(self) -> None:
        self._count()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(PAYLOAD)))
        self.end_headers()
        self.wfile.write(PAYLOAD)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self._count()
        answer = b'{"echo": %d}' % len(body)
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture(scope="module")
def upstream() -> Iterator[_Upstream]:
    server = _Upstream()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def proxy(upstream: _Upstream) -> Iterator[FaultProxy]:
    host, port = upstream.server_address[:2]
    with FaultProxy(f"http://{host!s}:{port}") as proxy:
        yield proxy


@pytest.fixture
def client(proxy: FaultProxy) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        yield client


def _hits(upstream: _Upstream, key: str) -> int:
    with upstream.hits_lock:
        return upstream.hits.get(key, 0)


def test_unplanned_requests_pass_through_unchanged(proxy: FaultProxy, client: httpx.Client) -> None:
    """Without a plan, bodies, statuses and headers arrive exactly as the server sent them."""
    got = client.get("/file")
    posted = client.post("/items", content=b"x" * 10)
    assert (got.status_code, got.content) == (200, PAYLOAD)
    assert got.headers["content-type"] == "application/octet-stream"
    assert (posted.status_code, posted.json()) == (201, {"echo": 10})
    assert [e.forwarded for e in proxy.exchanges] == [True, True]


def test_reset_before_never_reaches_the_server(
    proxy: FaultProxy, client: httpx.Client, upstream: _Upstream
) -> None:
    """A reset before forwarding fails the client's request and the server never sees it."""
    before = _hits(upstream, "POST /before")
    proxy.plan(Rule(reset_before(), method="POST"))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post("/before", content=b"{}")
    assert _hits(upstream, "POST /before") == before
    assert proxy.forwarded("POST", "/before") == 0


def test_reset_after_reaches_the_server_but_not_the_client(
    proxy: FaultProxy, client: httpx.Client, upstream: _Upstream
) -> None:
    """A reset after forwarding fails the client's request although the server handled it."""
    before = _hits(upstream, "POST /after")
    proxy.plan(Rule(reset_after()))
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post("/after", content=b"{}")
    assert _hits(upstream, "POST /after") == before + 1
    assert proxy.forwarded("POST", "/after") == 1


def test_status_burst_then_recovery(proxy: FaultProxy, client: httpx.Client) -> None:
    """A burst of gateway errors (with and without Retry-After) is followed by the real answer."""
    proxy.plan(
        Rule(status(503, retry_after="2"), path="^/file$", times=2),
        Rule(status(502), path="^/file$", times=1),
    )
    answers = [client.get("/file") for _ in range(4)]
    assert [a.status_code for a in answers] == [503, 503, 502, 200]
    assert [a.headers.get("retry-after") for a in answers[:3]] == ["2", "2", None]
    assert answers[0].headers["content-type"] == "text/html"
    assert answers[3].content == PAYLOAD
    assert [e.forwarded for e in proxy.exchanges] == [False, False, False, True]


def test_rules_match_only_their_method_and_path(proxy: FaultProxy, client: httpx.Client) -> None:
    """A rule for one method and path leaves other requests alone."""
    proxy.plan(Rule(status(503), method="POST", path="^/items$", times=None))
    assert client.get("/items").status_code == 200
    assert client.post("/other", content=b"").status_code == 201
    assert client.post("/items", content=b"").status_code == 503
    assert client.post("/items", content=b"").status_code == 503


def test_truncated_body_is_an_incomplete_message(proxy: FaultProxy, client: httpx.Client) -> None:
    """A truncated body breaks off after the planned byte count, which the client notices."""
    proxy.plan(Rule(truncate(1000)))
    received = bytearray()

    def read_all() -> None:
        with client.stream("GET", "/file") as response:
            for chunk in response.iter_bytes():
                received.extend(chunk)

    with pytest.raises(httpx.RemoteProtocolError):
        read_all()
    assert bytes(received) == PAYLOAD[:1000]


def test_drip_and_latency_slow_the_answer_but_keep_it_intact(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    """Slow drip and added latency deliver the same bytes, later."""
    proxy.plan(Rule(drip(chunk=4096, interval=0.05)), Rule(latency(0.3)))
    started = time.monotonic()
    dripped = client.get("/file")
    drip_time = time.monotonic() - started
    started = time.monotonic()
    delayed = client.get("/file")
    delay_time = time.monotonic() - started
    assert dripped.content == PAYLOAD and delayed.content == PAYLOAD
    assert drip_time >= 0.2  # at least four 4 KiB chunks, 50 ms apart
    assert delay_time >= 0.3


def test_latency_beyond_the_client_timeout_is_a_read_timeout(
    proxy: FaultProxy, client: httpx.Client
) -> None:
    """Latency longer than the client's read timeout surfaces as a timeout."""
    proxy.plan(Rule(latency(1.0)))
    with pytest.raises(httpx.ReadTimeout):
        client.get("/file", timeout=httpx.Timeout(5, read=0.2))
