"""An HTTP control endpoint for a `FaultProxy`, so a client under test in another process (the Go
client's tests) can set plans and read what happened, exactly as the Python tests do in-process.

    POST /plan       {"rules": [{"fault": {...}, "method": "GET", "path": "^/api/q", "times": 1}]}
    GET  /exchanges  {"arrived": 3, "exchanges": [{"method": ..., "path": ..., "fault": ...,
                      "forwarded": true, "upstream_status": 200, "range": null}]}

Faults are written as in `vectors.json`. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.faults._plan import Rule
from tests.faults._proxy import FaultProxy
from tests.faults.vectors import fault


def _rule(data: dict[str, Any]) -> Rule:
    return Rule(
        fault(data["fault"]),
        method=data.get("method"),
        path=data.get("path"),
        times=data.get("times", 1),
    )


class ProxyControl:
    """Serves the control endpoint of `proxy` on a free loopback port; `url` is its base URL."""

    def __init__(self, proxy: FaultProxy) -> None:
        self._proxy = proxy
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(proxy))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The control endpoint's base URL."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ProxyControl:
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


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test's output is the client's."""

        def do_POST(self) -> None:
            if self.path != "/plan":
                self._reply(404, {"error": "no such endpoint"})
                return
            length = int(self.headers.get("Content-Length", "0"))
            try:
                rules = [_rule(r) for r in json.loads(self.rfile.read(length))["rules"]]
            except (KeyError, TypeError, ValueError) as exc:
                self._reply(400, {"error": f"bad plan: {exc}"})
                return
            proxy.plan(*rules)
            self._reply(200, {"rules": len(rules)})

        def do_GET(self) -> None:
            if self.path != "/exchanges":
                self._reply(404, {"error": "no such endpoint"})
                return
            exchanges = [asdict(e) for e in proxy.exchanges]
            self._reply(200, {"arrived": proxy.arrived, "exchanges": exchanges})

        def _reply(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
