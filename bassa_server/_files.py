"""Serving a file from disk safely: inside its folder, with Range, and never a text/plain error.

Starlette's FileResponse answers a malformed `Range` with `400 text/plain`, a range past the end
with an empty `416`, and several ranges with `multipart/byteranges`; it also opens the file only
when it starts sending, so a zip swept between the handler's check and the send cuts the response
short. This response opens the file when it is created (an open file stays readable after it is
deleted), ignores a malformed or multiple range (a 200 with the whole file, as RFC 9110 allows),
and refuses an unsatisfiable range with a 416 in the API's JSON error shape, raised when the
response is created, so it passes through the binding like any other refusal. The one range is
parsed here (RFC 9110 §14.1.2) rather than with Starlette's private parser.
"""

from __future__ import annotations

import hashlib
import mimetypes
import mmap
import os
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

import anyio.to_thread
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from bassa_server._openapi import ApiError

# Linux reads a window in when it is mapped; elsewhere its pages fault in during the write instead
POPULATE: int = getattr(mmap, "MAP_POPULATE", 0)


def guess_type(path: Path) -> str:
    """The file's MIME type from its name, or `application/octet-stream`."""
    return mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _disposition(filename: str) -> str:
    quoted = quote(filename)
    if quoted != filename:
        return f"attachment; filename*=utf-8''{quoted}"
    return f'attachment; filename="{filename}"'


class LenientFileResponse(Response):
    """A file download (whole or the one byte range `range` asks for) from a file opened at
    creation.

    Raises FileNotFoundError (or another OSError) at creation when the file cannot be opened, and
    `ApiError(416)` when `range` asks only for bytes past its end.
    """

    # Each hop to a worker thread maps the next window of the file with MAP_POPULATE (so any disk
    # read happens there, not on the event loop) and hands uvloop a memoryview of the map: its
    # write(2) copies from the page cache into the socket, the one copy left without sendfile,
    # which ASGI cannot reach. Reading 4 MiB per hop into a new bytes object (one more copy, and
    # fresh pages to fault in) served 1 GiB at 0.56-0.61x nginx's sendfile; 32 MiB windows serve
    # it at 0.85-0.88x (medians, benchmarks/engine.py; 16 MiB windows: ~0.1x less, 64 MiB: no
    # clear gain). A window is unmapped when uvloop drops its last view, i.e. once written; at
    # most two are mapped per transfer: 64 MiB of shared page cache, not memory of our own.
    #
    # Only the kernel reads a map: a page past the end of a file truncated while mapped makes
    # write(2) fail with EFAULT (the response is cut short), never SIGBUS in the server. And it
    # does not happen here: a completed download is never written again (retention unlinks it,
    # harmless to a map) and a zip is replaced by rename, never rewritten in place.
    chunk_size = 32 * 1024 * 1024

    def __init__(
        self, path: Path, *, media_type: str, filename: str, range: str | None = None
    ) -> None:
        self._fd = os.open(path, os.O_RDONLY)
        stat = os.fstat(self._fd)
        self._size = stat.st_size
        try:
            self._range = byte_range(range, self._size)
        except UnsatisfiableRangeError:
            os.close(self._fd)
            raise ApiError(
                416, "range not satisfiable", headers={"content-range": f"bytes */{self._size}"}
            ) from None
        etag = hashlib.md5(f"{stat.st_mtime}-{stat.st_size}".encode(), usedforsecurity=False)
        super().__init__(
            media_type=media_type,
            headers={
                "content-disposition": _disposition(filename),
                "accept-ranges": "bytes",
                "last-modified": formatdate(stat.st_mtime, usegmt=True),
                "etag": f'"{etag.hexdigest()}"',
            },
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the file, or the one byte range asked for, then close it."""
        try:
            await self._send(scope, receive, send)
        finally:
            os.close(self._fd)

    async def _send(self, scope: Scope, receive: Receive, send: Send) -> None:
        start, end, status = 0, self._size, 200
        if self._range is not None:
            (start, end), status = self._range, 206
        headers = [(k, v) for k, v in self.raw_headers if k != b"content-length"]
        headers.append((b"content-length", str(end - start).encode()))
        if status == 206:
            headers.append((b"content-range", f"bytes {start}-{end - 1}/{self._size}".encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if scope["method"].upper() == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        if start == end:  # an empty file: nothing to map (a zero-length map is an error)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        # uvicorn's send() returns quietly once the client has gone, so without a listener a
        # hang-up would leave the loop mapping the rest of the file for nobody
        async with anyio.create_task_group() as transfer:
            transfer.start_soon(_cancel_on_disconnect, receive, transfer.cancel_scope)
            position = start
            while position < end:
                size = min(self.chunk_size, end - position)
                window = await anyio.to_thread.run_sync(self._map, position, size)
                position += size
                more = position < end
                await send({"type": "http.response.body", "body": window, "more_body": more})
            transfer.cancel_scope.cancel()

    def _map(self, position: int, size: int) -> memoryview:
        """`size` bytes of the file from `position`, mapped and read into memory (blocking I/O)."""
        offset = position - position % mmap.ALLOCATIONGRANULARITY  # maps start page-aligned
        mapped = mmap.mmap(
            self._fd,
            size + position - offset,
            flags=mmap.MAP_SHARED | POPULATE,
            prot=mmap.PROT_READ,
            offset=offset,
        )
        return memoryview(mapped)[position - offset :]


class UnsatisfiableRangeError(Exception):
    """A `Range` that asks only for bytes past the end of the file."""


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The half-open byte range `[start, end)` a single-range `Range` header asks for; None for
    no header, a malformed one, another unit or several ranges (the whole file is sent)."""
    if header is None:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = (part.strip() for part in spec.strip().partition("-"))
    if not dash or not (first or last) or not all(p.isdigit() for p in (first, last) if p):
        return None
    if not first:  # a suffix: the last `last` bytes
        if int(last) == 0 or size == 0:
            raise UnsatisfiableRangeError
        return max(size - int(last), 0), size
    start = int(first)
    if last and int(last) < start:
        return None  # `5-3`: malformed, ignored
    if start >= size:
        raise UnsatisfiableRangeError
    return start, min(int(last) + 1 if last else size, size)


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Cancel `scope` when the client disconnects (the request body, if any, is already read)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()
