"""The `file_server` fixture: a loopback HTTP server with files for downloads to fetch.

It serves in-memory files with single `Range` requests (so aria2 can resume), answers 404 for
unknown names, can throttle a file to a given rate (so a test can act mid-download) and records
the ranges asked for (so a test can show a resumed download reused its partial data).
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

import pytest

CHUNK_BYTES = 16 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclasses.dataclass
class _File:
    data: bytes
    bytes_per_second: int | None


class FileServer:
    """Files by name on `http://127.0.0.1:<port>/<name>`."""

    def __init__(self) -> None:
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str | None]] = []  # (name, Range header)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def add(self, name: str, data: bytes, *, bytes_per_second: int | None = None) -> str:
        """Serve `data` as `name` (at most `bytes_per_second` if given); return its URL."""
        with self._lock:
            self._files[name] = _File(data, bytes_per_second)
        return self.url_for(name)

    def throttle(self, name: str, bytes_per_second: int | None) -> None:
        """Change how fast `name` is served from now on (None: as fast as possible)."""
        with self._lock:
            self._files[name].bytes_per_second = bytes_per_second

    def url_for(self, name: str) -> str:
        """The URL of `name` (which need not exist: unknown names answer 404)."""
        return f"{self.url}/{quote(name)}"

    def ranges_for(self, name: str) -> list[str | None]:
        """The Range headers of the requests for `name`, in order (None: whole file)."""
        with self._lock:
            return [header for asked, header in self.requests if asked == name]

    def lookup(self, name: str, range_header: str | None) -> _File | None:
        with self._lock:
            self.requests.append((name, range_header))
            return self._files.get(name)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _handler_for(server: FileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            """Stay quiet; pytest shows failures, not access logs."""

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, *, body: bool) -> None:
            name = unquote(urlsplit(self.path).path.lstrip("/"))
            requested = self.headers.get("Range")
            found = server.lookup(name, requested)
            if found is None:
                self._plain(404, b"not found\n", body)
                return
            data = found.data
            start, end = 0, len(data) - 1
            status = 200
            if requested and (match := _RANGE.match(requested.strip())):
                first, last = match.groups()
                if first:
                    start, end = int(first), min(int(last), end) if last else end
                elif last:
                    start = max(len(data) - int(last), 0)
                if start >= len(data) or start > end:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status = 206
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start + 1))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            self.end_headers()
            if body:
                self._send_slowly(found, start, end + 1)

        def _send_slowly(self, found: _File, start: int, stop: int) -> None:
            position = start
            try:
                while position < stop:
                    chunk = found.data[position : min(position + CHUNK_BYTES, stop)]
                    self.wfile.write(chunk)
                    position += len(chunk)
                    if rate := found.bytes_per_second:
                        time.sleep(len(chunk) / rate)  # the throttle is the point of this server
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client went away (paused, killed): normal for these tests

        def _plain(self, status: int, text: bytes, body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            if body:
                self.wfile.write(text)

    return Handler


@pytest.fixture(scope="session")
def file_server() -> Iterator[FileServer]:
    """A loopback HTTP file server for the whole test session."""
    server = FileServer()
    server.start()
    yield server
    server.stop()
