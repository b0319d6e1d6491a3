"""A loopback reverse proxy that records every exchange of a client in another process (the Go
client), so the Python contract checks can hold its requests and responses to the spec.

Responses pass through streamed; `RecordingTransport` (tests/contract/_traffic.py) keeps a copy
of each, and `requests` keeps each request with its body.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

import httpx

from tests.contract._traffic import RecordingTransport

_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host"}
)


@dataclass(frozen=True)
class SentRequest:
    """A request as the client sent it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class RecordingProxy:
    """Forwards to `upstream_url`, recording each exchange; `url` is where to connect."""

    def __init__(self, upstream_url: str) -> None:
        self.recorder = RecordingTransport()
        self.requests: list[SentRequest] = []
        self._lock = threading.Lock()
        self._http = httpx.Client(base_url=upstream_url, transport=self.recorder, timeout=60.0)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._http.close()

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length) if length else b""
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in _HOP_BY_HOP}
        with self._lock:
            self.requests.append(SentRequest(handler.command, handler.path, headers, body))
        request = self._http.build_request(
            handler.command, handler.path, headers=headers, content=body
        )
        response = self._http.send(request, stream=True)
        try:
            handler.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP:
                    handler.send_header(name, value)
            handler.end_headers()
            for chunk in response.iter_raw():
                handler.wfile.write(chunk)
        finally:
            response.close()


def _handler_for(proxy: RecordingProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test's output is the client's."""

        def do_GET(self) -> None:
            proxy._forward(self)

        def do_POST(self) -> None:
            proxy._forward(self)

        def do_PUT(self) -> None:
            proxy._forward(self)

        def do_DELETE(self) -> None:
            proxy._forward(self)

    return Handler
