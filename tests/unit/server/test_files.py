"""File responses send the right bytes across map windows, from any offset, and for empty files."""

from __future__ import annotations

from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bassa_server._files import LenientFileResponse


class SmallWindows(LenientFileResponse):
    """Three-page windows, so a small file spans several maps."""

    chunk_size = 3 * 4096


def client(path: Path) -> httpx.AsyncClient:
    """An in-process client of an app serving `path` at `/file`."""

    async def serve(request: Request) -> Response:
        return SmallWindows(path, media_type="application/octet-stream", filename=path.name)

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
