"""Files stream to disk in chunks, resume with Range after a break, and are size-checked."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from bassa_sdk import APIConnectionError, NotFoundError, ResponseValidationError
from tests.unit.sdk.conftest import make_async_client, make_client, reply

DATA = os.urandom(200_000)


class BrokenStream(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that sends `cut` bytes and then loses the connection."""

    def __init__(self, data: bytes, cut: int) -> None:
        self.data, self.cut = data, cut

    def __iter__(self) -> Iterator[bytes]:
        yield self.data[: self.cut]
        raise httpx.ReadError("connection reset by peer")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.data[: self.cut]
        raise httpx.ReadError("connection reset by peer")


class Pieces(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body that arrives in 10 kB pieces, as from a socket."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        for start in range(0, len(self.data), 10_000):
            yield self.data[start : start + 10_000]

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self:
            yield piece


class FileServer:
    """Serves DATA with Range support; the first `breaks` responses are cut short."""

    def __init__(self, breaks: int = 0, honour_range: bool = True, lie_about_size: bool = False):
        self.breaks, self.honour_range, self.lie = breaks, honour_range, lie_about_size
        self.ranges: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.ranges.append(request.headers.get("range"))
        assert request.headers["accept-encoding"] == "identity"
        start = 0
        status, headers = 200, {"content-disposition": 'attachment; filename="report.bin"'}
        if request.headers.get("range") and self.honour_range:
            start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
            if start >= len(DATA):
                return httpx.Response(
                    416, json={"error": "range"}, headers={"content-range": f"bytes */{len(DATA)}"}
                )
            status = 206
            headers["content-range"] = f"bytes {start}-{len(DATA) - 1}/{len(DATA)}"
        body = DATA[start:]
        headers["content-length"] = str(len(body) + (10 if self.lie else 0))
        if self.breaks:
            self.breaks -= 1
            return httpx.Response(status, headers=headers, stream=BrokenStream(body, 70_000))
        return httpx.Response(status, headers=headers, stream=Pieces(body))


def test_download_streams_to_a_path_with_progress(tmp_path: Path) -> None:
    """The file lands whole at the path, written in chunks, with progress after each."""
    progress: list[tuple[int, int | None]] = []
    client, _ = make_client(FileServer())
    target = tmp_path / "out.bin"
    fetched = client.files.download(
        7, target, progress=lambda done, total: progress.append((done, total)), chunk_size=65_536
    )
    assert target.read_bytes() == DATA
    assert fetched.size == len(DATA) and fetched.path == target and fetched.filename == "report.bin"
    assert [done for done, _ in progress] == [70_000, 140_000, 200_000]
    assert {total for _, total in progress} == {len(DATA)}
    assert not (tmp_path / "out.bin.part").exists()


def test_broken_connection_resumes_with_range(tmp_path: Path) -> None:
    """After a reset mid-body the next attempt asks only for the missing bytes."""
    server = FileServer(breaks=2)
    client, _ = make_client(server, max_attempts=3)
    client.files.download(7, tmp_path / "out.bin")
    assert (tmp_path / "out.bin").read_bytes() == DATA
    assert server.ranges == [None, "bytes=70000-", "bytes=140000-"]


def test_server_ignoring_range_restarts_the_file() -> None:
    """A 200 answer to a resumed request rewinds the destination instead of appending."""
    server = FileServer(breaks=1, honour_range=False)
    client, _ = make_client(server)
    sink = io.BytesIO(b"keep:")
    sink.seek(0, io.SEEK_END)
    client.files.download(7, sink)
    assert sink.getvalue() == b"keep:" + DATA


def test_size_mismatch_is_an_error_and_leaves_no_file(tmp_path: Path) -> None:
    """Fewer bytes than announced is a ResponseValidationError; no partial file remains."""
    client, _ = make_client(FileServer(lie_about_size=True), max_attempts=1)
    with pytest.raises((ResponseValidationError, APIConnectionError)):
        client.files.download(7, tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == []


def test_refused_download_raises_and_creates_nothing(tmp_path: Path) -> None:
    """A 404 for a file is a NotFoundError and no file is created."""
    client, _ = make_client(lambda request: reply(404, {"error": "not found"}))
    with pytest.raises(NotFoundError):
        client.files.download(7, tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == []


def test_exhausted_retries_raise_the_connection_error(tmp_path: Path) -> None:
    """When every attempt breaks, the caller gets an APIConnectionError and no partial file."""
    client, _ = make_client(FileServer(breaks=5), max_attempts=2)
    with pytest.raises(APIConnectionError):
        client.files.download(7, tmp_path / "out.bin")
    assert list(tmp_path.iterdir()) == []


def test_zip_is_fetched_by_process_id() -> None:
    """fetch_zip streams GET /api/file?gid=... with an optional share token."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, content=b"PK\x03\x04zip", headers={"content-type": "application/zip"}
        )

    client, _ = make_client(handler)
    sink = io.BytesIO()
    fetched = client.files.fetch_zip("ab12", sink, share="signed-share")
    assert sink.getvalue() == b"PK\x03\x04zip" and fetched.content_type == "application/zip"
    assert seen[0].url.path == "/api/file"
    assert dict(seen[0].url.params) == {"gid": "ab12", "share": "signed-share"}


def test_a_resume_after_the_last_byte_completes() -> None:
    """A 416 whose range ends exactly at what was written means the file was complete."""

    class CutAtEnd(FileServer):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            if request.headers.get("range") is None:
                self.ranges.append(None)
                return httpx.Response(
                    200,
                    headers={"content-length": str(len(DATA))},
                    stream=BrokenStream(DATA, len(DATA)),
                )
            return super().__call__(request)

    server = CutAtEnd()
    client, _ = make_client(server)
    sink = io.BytesIO()
    client.files.download(7, sink)
    assert sink.getvalue() == DATA
    assert server.ranges == [None, f"bytes={len(DATA)}-"]


async def test_async_download_resumes(tmp_path: Path) -> None:
    """AsyncBassa streams and resumes the same way."""
    server = FileServer(breaks=1)
    client, _ = make_async_client(server)
    progress: list[int] = []
    await client.files.download(
        7, tmp_path / "a.bin", progress=lambda done, total: progress.append(done)
    )
    assert (tmp_path / "a.bin").read_bytes() == DATA
    assert server.ranges == [None, "bytes=70000-"]
    assert progress[-1] == len(DATA)


@pytest.mark.parametrize("error", [KeyError("bug"), ValueError("bug"), TypeError("bug")])
def test_a_progress_callback_error_reaches_the_caller_unchanged(
    tmp_path: Path, error: Exception
) -> None:
    """What the caller's own progress callback raises comes out as it is: not retried, not
    turned into a BassaError, and no partial file is left."""
    server = FileServer()
    client, _ = make_client(server)

    def progress(done: int, total: int | None) -> None:
        raise error

    with pytest.raises(type(error)) as caught:
        client.files.download(7, tmp_path / "out.bin", progress=progress, chunk_size=65_536)
    assert caught.value is error
    assert server.ranges == [None]
    assert list(tmp_path.iterdir()) == []


async def test_an_async_progress_callback_error_reaches_the_caller_unchanged() -> None:
    """AsyncBassa lets the callback's exception through the same way."""
    server = FileServer()
    client, _ = make_async_client(server)
    error = KeyError("bug in the caller's callback")

    def progress(done: int, total: int | None) -> None:
        raise error

    with pytest.raises(KeyError) as caught:
        await client.files.download(7, io.BytesIO(), progress=progress)
    assert caught.value is error
    assert server.ranges == [None]


def _named(data: bytes, name: str = "notes.txt") -> httpx.Response:
    headers = {"content-disposition": f'attachment; filename="{name}"'}
    return httpx.Response(200, content=data, headers=headers)


def test_a_folder_gets_the_servers_name_and_an_existing_file_is_kept(tmp_path: Path) -> None:
    """A directory destination uses the server's name; overwrite=False keeps an existing file."""
    client, _ = make_client(lambda request: _named(b"new"))
    fetched = client.files.download(1, tmp_path)
    assert fetched.path == tmp_path / "notes.txt" and fetched.path.read_bytes() == b"new"
    fetched.path.write_bytes(b"mine")
    with pytest.raises(FileExistsError):
        client.files.download(1, tmp_path, overwrite=False)
    with pytest.raises(FileExistsError):
        client.files.download(1, tmp_path / "notes.txt", overwrite=False)
    assert (tmp_path / "notes.txt").read_bytes() == b"mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_resume_continues_a_part_file_and_keeps_it_after_a_failure(tmp_path: Path) -> None:
    """resume=True asks for the bytes after NAME.part and keeps NAME.part when it fails."""
    target = tmp_path / "big.bin"
    cut = BrokenStream(DATA, 50_000)
    client, _ = make_client(lambda request: httpx.Response(200, stream=cut), max_attempts=1)
    with pytest.raises(APIConnectionError):
        client.files.download(1, target, resume=True, chunk_size=1024)
    part = tmp_path / "big.bin.part"
    assert part.read_bytes() == DATA[:50_000]

    def rest(request: httpx.Request) -> httpx.Response:
        start = int(request.headers["range"].removeprefix("bytes=").rstrip("-"))
        headers = {"content-range": f"bytes {start}-{len(DATA) - 1}/{len(DATA)}"}
        return httpx.Response(206, content=DATA[start:], headers=headers)

    client, recorder = make_client(rest)
    client.files.download(1, target, resume=True)
    assert recorder.requests[0].headers["range"] == "bytes=50000-"
    assert target.read_bytes() == DATA and not part.exists()


def test_resume_into_a_folder_skips_the_bytes_already_there(tmp_path: Path) -> None:
    """Into a folder, the name comes with the answer: bytes in the .part are not written again."""
    (tmp_path / "notes.txt.part").write_bytes(DATA[:1000])
    client, _ = make_client(lambda request: _named(DATA))
    fetched = client.files.download(1, tmp_path, resume=True)
    assert fetched.size == len(DATA) and (tmp_path / "notes.txt").read_bytes() == DATA
