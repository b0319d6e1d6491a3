"""The `file_server` fixture: a loopback HTTP server with files for downloads to fetch.

It serves in-memory files with single `Range` requests (so aria2 can resume), answers 404 for
unknown names, can throttle a file to a given rate (so a test can act mid-download) and records
the ranges asked for (so a test can show a resumed download reused its partial data). For the
attacks the server must withstand it can also stream a file chunked, without a Content-Length,
answer a name with a redirect, listen on another loopback address (127.0.0.2 stands in for a
public host), and count the requests and body bytes it served.
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
    chunked: bool = False
    location: str | None = None


class FileServer:
    """Files by name on `http://<host>:<port>/<name>` (host 127.0.0.1 unless given)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str | None]] = []  # (name, Range header)
        self.bytes_sent = 0  # body bytes written to clients, all files together
        self._httpd = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self.port = int(self._httpd.server_address[1])
        self.url = f"http://{host}:{self.port}"

    def add(
        self,
        name: str,
        data: bytes,
        *,
        bytes_per_second: int | None = None,
        chunked: bool = False,
    ) -> str:
        """Serve `data` as `name` (at most `bytes_per_second` if given; with `chunked`, as a
        chunked stream without Content-Length or ranges); return its URL."""
        with self._lock:
            self._files[name] = _File(data, bytes_per_second, chunked)
        return self.url_for(name)

    def redirect(self, name: str, location: str) -> str:
        """Answer `name` with `302 Found` to `location`; return the URL of `name`."""
        with self._lock:
            self._files[name] = _File(b"", None, location=location)
        return self.url_for(name)

    @property
    def request_count(self) -> int:
        """How many requests reached this server, whatever they asked for."""
        with self._lock:
            return len(self.requests)

    def count_sent(self, size: int) -> None:
        with self._lock:
            self.bytes_sent += size

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
            if found.location is not None:
                self.send_response(302)
                self.send_header("Location", found.location)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if found.chunked:
                self._send_chunked(found, body)
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

        def _send_chunked(self, found: _File, body: bool) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            if body:
                self._send_slowly(found, 0, len(found.data), chunked=True)

        def _send_slowly(
            self, found: _File, start: int, stop: int, *, chunked: bool = False
        ) -> None:
            position = start
            try:
                while position < stop:
                    chunk = found.data[position : min(position + CHUNK_BYTES, stop)]
                    if chunked:
                        self.wfile.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                    else:
                        self.wfile.write(chunk)
                    server.count_sent(len(chunk))
                    position += len(chunk)
                    if rate := found.bytes_per_second:
                        time.sleep(len(chunk) / rate)  # the throttle is the point of this server
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
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
