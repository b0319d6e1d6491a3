"""Streaming a file or a zip to disk: chunked, resumable with `Range`, size-checked.

The generated client reads `application/octet-stream` bodies whole into memory, so files are
streamed by the client itself, still through its transport (timeouts, rate limiter, error
mapping). `Transfer` is the state of one transfer across attempts: how many bytes are safely
written, so a retry after a broken connection asks only for the rest (`Range: bytes=N-`) and
checks that the server's `Content-Range` starts where we stopped. A server that ignores the range
(200) rewinds the destination. At the end the byte count must equal the announced size. The
caller's progress callback is called from here; whatever it raises reaches the caller unchanged.
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import httpx

from bassa_sdk._errors import ResponseValidationError

__all__ = ["FetchedFile", "ProgressCallback", "Transfer"]

#: Called after every chunk with (bytes written so far, total bytes or None when unknown).
ProgressCallback = Callable[[int, int | None], None]

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_UNSATISFIED_RANGE = re.compile(r"bytes\s+\*/(\d+)")
_FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FetchedFile:
    """A file written to its destination."""

    size: int
    path: Path | None
    filename: str | None
    content_type: str | None


class _Sink:
    """Where bytes go: a `.part` file renamed into place at the end, or a caller's file object.

    A path is opened only when the first response arrives, so a refused request leaves nothing.
    A directory gets the file under the server's name, known once the response arrives. Without
    `overwrite`, an existing file is refused (`FileExistsError`) before a byte is written; with
    `resume`, an earlier `NAME.part` is continued and a failed transfer keeps its `.part`.
    """

    def __init__(
        self, dest: str | os.PathLike[str] | BinaryIO, *, overwrite: bool, resume: bool
    ) -> None:
        self._file: BinaryIO | None = None
        self._start = 0
        self._overwrite = overwrite
        self._resume = resume
        self.folder: Path | None = None
        self.path: Path | None = None
        #: bytes of an earlier `.part` already in place (asked for with `Range` when the path is
        #: known before the request, skipped in the body when only the server names the file)
        self.present = 0
        if isinstance(dest, (str, os.PathLike)):
            if Path(dest).is_dir():
                self.folder = Path(dest)
            else:
                self._named(Path(dest))
        else:
            if not hasattr(dest, "write"):
                raise TypeError(f"dest must be a path or a binary file object, not {dest!r}")
            self._file = dest
            self._start = dest.tell() if dest.seekable() else 0

    def _named(self, path: Path) -> None:
        if path.exists() and not self._overwrite:
            raise FileExistsError(
                errno.EEXIST, "file exists (overwrite=True replaces it)", str(path)
            )
        self.path = path
        self._part = path.with_name(path.name + ".part")
        if self._resume and self._part.is_file():
            self.present = self._part.stat().st_size

    def name_from_server(self, filename: str | None, fallback: str) -> None:
        """For a directory destination: the file's name, from the response."""
        if self.folder is not None and self.path is None:
            self._named(self.folder / (filename or fallback))

    def _opened(self) -> BinaryIO:
        if self._file is None:
            if self.present:
                self._file = self._part.open("r+b")
                self._file.seek(self.present)
                self._file.truncate()
            else:
                self._file = self._part.open("wb")
        return self._file

    def write(self, chunk: bytes) -> None:
        self._opened().write(chunk)

    def rewind(self) -> None:
        file = self._opened()
        if self.path is None and not file.seekable():
            raise ResponseValidationError(
                "the server ignored the Range of a resumed transfer and the destination "
                "cannot be rewound"
            )
        file.seek(self._start)
        file.truncate()

    def done(self) -> None:
        file = self._opened()
        if self.path is not None:
            file.close()
            if self.path.exists() and not self._overwrite:
                raise FileExistsError(errno.EEXIST, "file appeared meanwhile", str(self.path))
            self._part.replace(self.path)
        else:
            file.flush()

    def abandon(self) -> None:
        if self.path is not None:
            if self._file is not None:
                self._file.close()
            if not self._resume:
                self._part.unlink(missing_ok=True)


class Transfer:
    """The progress of one file transfer, carried from one attempt to the next."""

    def __init__(
        self,
        dest: str | os.PathLike[str] | BinaryIO,
        *,
        operation: str,
        progress: ProgressCallback | None,
        chunk_size: int,
        overwrite: bool = True,
        resume: bool = False,
        fallback_name: str = "download",
    ) -> None:
        self._sink = _Sink(dest, overwrite=overwrite, resume=resume)
        self._fallback_name = fallback_name
        #: body bytes to drop: already in a resumed `.part` the request could not ask past
        self._skip = 0
        self._buffer = bytearray()
        self._chunk_size = chunk_size
        self.operation = operation
        self.written = self._sink.present
        self.total: int | None = None
        self.complete = False
        self.filename: str | None = None
        self.content_type: str | None = None
        self._progress = progress

    def headers(self) -> dict[str, str]:
        """Request headers for the next attempt: identity encoding, and the range still missing."""
        headers = {"Accept-Encoding": "identity"}
        if self.written:
            headers["Range"] = f"bytes={self.written}-"
        return headers

    def begin(self, response: httpx.Response) -> None:
        """Check the response's status and range before any byte of it is written."""
        status = response.status_code
        if status == 206:
            match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
            if match is None or int(match[1]) != self.written:
                raise ResponseValidationError(
                    f"{self.operation}: asked for bytes from {self.written}, got Content-Range "
                    f"{response.headers.get('content-range')!r}",
                    response=response,
                )
            self.total = int(match[3]) if match[3] != "*" else None
        elif status == 200:
            if self.written:
                self._sink.rewind()
                self.written = 0
            length = response.headers.get("content-length")
            self.total = int(length) if length and length.isdigit() else None
        else:
            raise ResponseValidationError(
                f"{self.operation}: unexpected status {status} for a file", response=response
            )
        if self.filename is None:
            match = _FILENAME.search(response.headers.get("content-disposition", ""))
            self.filename = Path(match[1]).name if match else None
            self.content_type = response.headers.get("content-type")
            if self._sink.path is None and self._sink.folder is not None:
                self._sink.name_from_server(self.filename, self._fallback_name)
                if self._sink.present and status == 200:
                    # the name came with this response: skip the bytes the .part already has
                    self._skip = self.written = self._sink.present

    def already_complete(self, refusal: httpx.Response) -> bool:
        """Whether a refused resume (416) only says the file was whole already: the connection
        broke after the last byte, so the resumed range starts at the end."""
        if refusal.status_code != 416:
            return False
        match = _UNSATISFIED_RANGE.fullmatch(refusal.headers.get("content-range", "").strip())
        self.complete = bool(self.written and match and int(match[1]) == self.written)
        return self.complete

    def feed(self, data: bytes) -> None:
        """Take bytes from the network; write them out once a whole chunk is buffered."""
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            data = data[dropped:]
        self._buffer += data
        if len(self._buffer) >= self._chunk_size:
            self.flush()

    def flush(self) -> None:
        """Write what is buffered and report progress (also when the connection just broke, so
        a resumed attempt asks only for bytes not yet written)."""
        if not self._buffer:
            return
        self._sink.write(bytes(self._buffer))
        self.written += len(self._buffer)
        self._buffer.clear()
        if self._progress is not None:
            self._progress(self.written, self.total)

    def finish(self) -> None:
        """The body ended: check the size against the announced one."""
        if self.complete:
            return
        self.flush()
        if self.total is not None and self.written != self.total:
            raise ResponseValidationError(
                f"{self.operation}: received {self.written} bytes of {self.total}"
            )
        self.complete = True

    def close(self) -> FetchedFile:
        """Put the file in place after success, or remove the partial file after failure."""
        self._sink.done()
        return FetchedFile(self.written, self._sink.path, self.filename, self.content_type)

    def fail(self) -> None:
        """Remove the partial file after a final error."""
        self._sink.abandon()
