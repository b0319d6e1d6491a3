"""Finished files: single downloads with Range, zips, their progress, share links and cleanup."""

from __future__ import annotations

import contextlib
import io
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.in_process import InProcessServer, in_process_server
from tests.integration.server.helpers import (
    complete_download,
    conforms,
    http,
    make_user,
    queue_download,
)
from tests.live_server import LiveServer
from tests.waiting import wait_for, wait_for_async

pytestmark = pytest.mark.integration

ZIP_WAIT_SECONDS = 10.0


def completed(server: LiveServer, token: str, name: str, data: bytes) -> tuple[int, str]:
    """A completed download of `data` as file `name`: (id, gid)."""
    download_id = queue_download(server, token, f"https://example.org/{name}")
    return download_id, complete_download(server, download_id, name, data)


def wait_for_zip(server: LiveServer, token: str, process_id: str) -> dict[str, Any]:
    """Poll the job (bounded) until it is no longer running."""

    def finished() -> dict[str, Any] | None:
        response = http.get(
            f"{server.url}/api/compression-progress",
            params={"gid": process_id},
            headers={"token": token},
        )
        job: dict[str, Any] = conforms(response, "get_compression_progress")
        return job if job["status"] != "running" else None

    found: dict[str, Any] = wait_for(
        finished, within=ZIP_WAIT_SECONDS, what=f"zip job {process_id} finished"
    )
    return found


def test_fetch_file_with_type_disposition_and_ranges(server: LiveServer) -> None:
    """A completed file streams with its MIME type and name; ranges give 206, 416 or 200."""
    _, token = make_user(server)
    data = bytes(range(256)) * 800  # several read chunks
    download_id, _ = completed(server, token, f"report-{time.time_ns()}.pdf", data)
    url = f"{server.url}/api/download/{download_id}"
    whole = http.get(url, headers={"token": token})
    conforms(whole, "fetch_download_file")
    assert whole.content == data
    assert whole.headers["content-type"] == "application/pdf"
    assert whole.headers["content-disposition"].startswith("attachment; filename=")
    assert whole.headers["token"]
    part = http.get(url, headers={"token": token, "Range": "bytes=65000-140000"})
    conforms(part, "fetch_download_file")
    assert (part.status_code, part.content) == (206, data[65000:140001])
    assert part.headers["content-range"] == f"bytes 65000-140000/{len(data)}"
    head = http.head(url, headers={"token": token})
    assert (head.status_code, head.headers["content-length"], head.content) == (
        200,
        str(len(data)),
        b"",
    )
    tail = http.get(url, headers={"token": token, "Range": f"bytes={len(data) - 5}-"})
    assert (tail.status_code, tail.content) == (206, data[-5:])
    past = http.get(url, headers={"token": token, "Range": f"bytes={len(data)}-"})
    assert (past.status_code, conforms(past, "fetch_download_file")) == (
        416,
        {"error": "range not satisfiable"},
    )
    assert past.headers["content-range"] == f"bytes */{len(data)}"
    for malformed in ("", "bytes", "lines=1-2", "bytes=5-3", "bytes=0-1,4-5"):
        ignored = http.get(url, headers={"token": token, "Range": malformed})
        assert (ignored.status_code, ignored.content) == (200, data), malformed


def test_fetch_file_not_completed_missing_or_escaping_is_404(server: LiveServer) -> None:
    """Queued downloads, files gone from disk and paths leaving the folder are all 404."""
    _, token = make_user(server)
    queued = queue_download(server, token, "https://example.org/later.bin")
    escaping = queue_download(server, token, "https://example.org/esc.bin")
    complete_download(server, escaping, "esc.bin", b"x", recorded_path="../secret_key")
    gone = queue_download(server, token, "https://example.org/gone.bin")
    complete_download(server, gone, "gone.bin", b"x", recorded_path="no-such-file.bin")
    for download_id in (queued, escaping, gone, 999_999_999):
        response = http.get(f"{server.url}/api/download/{download_id}", headers={"token": token})
        assert (response.status_code, conforms(response, "fetch_download_file")) == (
            404,
            {"error": "file not found"},
        )


def test_zip_share_and_fetch(server: LiveServer) -> None:
    """A zip job finishes with both files; a share link opens it without a session, once per zip."""
    url = server.url
    _, token = make_user(server)
    stamp = time.time_ns()
    _, gid_a = completed(server, token, f"a-{stamp}.txt", b"alpha")
    _, gid_b = completed(server, token, f"b-{stamp}.txt", b"bravo")
    started = http.post(
        f"{url}/api/compress", json={"gid": [gid_a, gid_b]}, headers={"token": token}
    )
    job = conforms(started, "compress")
    process_id = job["process_id"]
    assert wait_for_zip(server, token, process_id) == {
        "process_id": process_id,
        "progress": 1,
        "status": "done",
        "error": None,
    }
    again = http.post(f"{url}/api/compress", json={"gid": [gid_b, gid_a]}, headers={"token": token})
    assert again.json()["process_id"] == process_id
    fetched = http.get(f"{url}/api/file", params={"gid": process_id}, headers={"token": token})
    conforms(fetched, "fetch_zip")
    assert fetched.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(fetched.content)) as archive:
        assert {name: archive.read(name) for name in archive.namelist()} == {
            f"a-{stamp}.txt": b"alpha",
            f"b-{stamp}.txt": b"bravo",
        }
    ranged = http.get(
        f"{url}/api/file",
        params={"gid": process_id},
        headers={"token": token, "Range": "bytes=0-3"},
    )
    assert (ranged.status_code, ranged.content) == (206, b"PK\x03\x04")
    link = conforms(
        http.post(f"{url}/api/file/share", json={"gid": process_id}, headers={"token": token}),
        "create_share_link",
    )
    assert link["gid"] == process_id and link["expires_at"] > time.time()
    shared = http.get(f"{url}/api/file", params={"gid": process_id, "share": link["share"]})
    assert (shared.status_code, shared.content) == (200, fetched.content)
    assert "token" not in shared.headers
    other_zip = http.get(f"{url}/api/file", params={"gid": "ab" * 32, "share": link["share"]})
    assert (other_zip.status_code, other_zip.json()) == (403, {"error": "not authorized"})
    not_for_compress = http.post(
        f"{url}/api/compress", params={"share": link["share"]}, json={"gid": [gid_a]}
    )
    assert (not_for_compress.status_code, not_for_compress.json()) == (
        403,
        {"error": "token error"},
    )
    legacy = http.get(f"{url}/api/file", params={"gid": process_id, "share": token})
    assert legacy.status_code == 200


def test_zip_refusals(server: LiveServer) -> None:
    """Unknown GIDs, unknown jobs and unfinished zips are 404s; bad GIDs are 400s."""
    url = server.url
    _, token = make_user(server)
    auth = {"token": token}
    unknown_gid = http.post(f"{url}/api/compress", json={"gid": ["0" * 16]}, headers=auth)
    assert (unknown_gid.status_code, conforms(unknown_gid, "compress")) == (
        404,
        {"error": f"no completed download with gid {'0' * 16}"},
    )
    bad_gid = http.post(f"{url}/api/compress", json={"gid": ["../../etc"]}, headers=auth)
    assert bad_gid.status_code == 400
    for response, operation in (
        (
            http.get(f"{url}/api/compression-progress", params={"gid": "f" * 64}, headers=auth),
            "get_compression_progress",
        ),
        (
            http.post(f"{url}/api/file/share", json={"gid": "f" * 64}, headers=auth),
            "create_share_link",
        ),
        (http.get(f"{url}/api/file", params={"gid": "f" * 64}, headers=auth), "fetch_zip"),
    ):
        assert response.status_code == 404
        conforms(response, operation)


async def test_expired_share_and_zip_cleanup(tmp_path: Path) -> None:
    """Once its lifetime has passed a share link is refused and the finished zip is swept (404)."""
    async with in_process_server(tmp_path, zip_ttl_seconds=600) as app:
        token = await app.user("charlie")
        gid = app.complete(await app.queue(token, "https://example.org/c.txt"), "c.txt", b"c")
        started = await app.http.post(
            "/api/compress", json={"gid": [gid]}, headers={"token": token}
        )
        process_id = started.json()["process_id"]
        await _zip_done(app, token, process_id)
        share = await app.http.post(
            "/api/file/share", json={"gid": process_id, "expires_in": 60}, headers={"token": token}
        )
        by_share = {"gid": process_id, "share": share.json()["share"]}
        assert (await app.http.get("/api/file", params=by_share)).status_code == 200

        app.clock.advance(61)
        expired = await app.http.get("/api/file", params=by_share)
        app.clock.advance(600)
        assert await app.services.zips.sweep() == 1
        swept = await app.http.get(
            "/api/file", params={"gid": process_id}, headers={"token": token}
        )

    assert (expired.status_code, conforms(expired, "fetch_zip")) == (403, {"error": "token error"})
    assert swept.status_code == 404
    conforms(swept, "fetch_zip")
    assert not (tmp_path / "zips" / f"{process_id}.zip").exists()


async def _zip_done(app: InProcessServer, token: str, process_id: str) -> None:
    """Wait (bounded, on the real clock: the zip is built in a worker thread) for a zip job."""

    async def finished() -> dict[str, Any] | None:
        response = await app.http.get(
            "/api/compression-progress", params={"gid": process_id}, headers={"token": token}
        )
        job: dict[str, Any] = response.json()
        return job if job["status"] != "running" else None

    job = await wait_for_async(finished, within=ZIP_WAIT_SECONDS, what=f"zip {process_id}")
    assert job["status"] == "done", job


def _open_by_server(server: LiveServer, path: Path) -> bool:
    """Whether the server process holds `path` open (from /proc)."""
    assert server.process is not None
    for fd in Path(f"/proc/{server.process.pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            if os.readlink(fd) == str(path):
                return True
    return False


def test_a_client_hanging_up_stops_the_transfer(server: LiveServer) -> None:
    """When the client goes away mid-file the server stops reading the file and closes it, instead
    of mapping the rest of a 64 GiB file for nobody."""
    token = make_user(server)[1]
    download_id, _ = completed(server, token, "huge-sparse.bin", b"x")
    path = (server.data_dir / "downloads" / str(download_id) / "huge-sparse.bin").resolve()
    os.truncate(path, 64 * 1024**3)  # sparse: no disk used
    with http.stream(
        "GET", f"{server.url}/api/download/{download_id}", headers={"token": token}
    ) as response:
        assert response.status_code == 200
        next(response.iter_raw(1024 * 1024))
        assert _open_by_server(server, path)
    wait_for(
        lambda: not _open_by_server(server, path),
        within=5.0,
        what="the server closing the file after the hang-up",
    )
