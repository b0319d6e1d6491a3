"""File responses send the right bytes across map windows, from any offset, and for empty files."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bassa_server._files import LenientFileResponse, UnsatisfiableRangeError, byte_range


class SmallWindows(LenientFileResponse):
    """Three-page windows, so a small file spans several maps."""

    chunk_size = 3 * 4096


def client(path: Path) -> httpx.AsyncClient:
    """An in-process client of an app serving `path` at `/file`."""

    async def serve(request: Request) -> Response:
        return SmallWindows(
            path,
            media_type="application/octet-stream",
            filename=path.name,
            range=request.headers.get("range"),
        )

    app = Starlette(routes=[Route("/file", serve, methods=["GET", "HEAD"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_whole_file_and_unaligned_range_span_windows(tmp_path: Path) -> None:
    """The whole file and a range starting mid-page come back intact across several windows."""
    data = bytes(range(251)) * 500  # 125,500 bytes: not a multiple of the page or the window
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    async with client(path) as http:
        whole = await http.get("/file")
        part = await http.get("/file", headers={"Range": "bytes=5000-70000"})
    assert (whole.status_code, whole.content) == (200, data)
    assert (part.status_code, part.content) == (206, data[5000:70001])
    assert part.headers["content-length"] == str(70001 - 5000)


async def test_empty_file_serves_no_bytes(tmp_path: Path) -> None:
    """An empty file is a 200 with content-length 0 and no body (nothing to map)."""
    path = tmp_path / "empty.txt"
    path.touch()
    async with client(path) as http:
        response = await http.get("/file")
    assert (response.status_code, response.headers["content-length"], response.content) == (
        200,
        "0",
        b"",
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 10)),
        ("bytes=5-", (5, 100)),
        ("bytes=90-200", (90, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-500", (0, 100)),
        ("BYTES = 1-1", (1, 2)),
        ("", None),
        ("bytes", None),
        ("lines=1-2", None),
        ("bytes=5-3", None),
        ("bytes=0-1,4-5", None),
        ("bytes=-", None),
        ("bytes=a-b", None),
    ],
)
def test_one_satisfiable_range_is_served_and_anything_malformed_is_ignored(
    header: str | None, expected: tuple[int, int] | None
) -> None:
    """A single byte range of a 100-byte file is honoured; a malformed, multiple or foreign-unit
    range means the whole file (RFC 9110 lets a server ignore it)."""
    assert byte_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=150-160", "bytes=-0"])
def test_a_range_only_past_the_end_is_not_satisfiable(header: str) -> None:
    """A range that selects no byte of the file is refused (416), not ignored."""
    with pytest.raises(UnsatisfiableRangeError):
        byte_range(header, 100)
