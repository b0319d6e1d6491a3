"""The engine behind the real HTTP server: queue, progress, files, zips, quota and recovery.

The HTTP-side refusals (schemes, bad ranges, escaping paths) are tested without the engine in
tests/integration/server/; these tests add what only the real engine shows.
"""

from __future__ import annotations

import io
import os
import signal
import zipfile
from typing import Any

import httpx
import pytest

from tests.conftest import MakeServer
from tests.file_server import FileServer
from tests.integration.server.helpers import conforms, make_user, queue_download
from tests.live_server import LiveServer
from tests.waiting import wait_for

from .harness import process_running

pytestmark = pytest.mark.integration


def _queue_switch(server: LiveServer, action: str) -> None:
    response = httpx.get(f"{server.url}/api/download/{action}", headers={"key": server.server_key})
    assert response.status_code == 200, response.text


def _status(server: LiveServer, token: str, download_id: int) -> dict[str, Any]:
    response = httpx.get(
        f"{server.url}/api/download/{download_id}/status", headers={"token": token}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _wait_status(
    server: LiveServer, token: str, download_id: int, wanted: set[int]
) -> dict[str, Any]:
    """Poll the status endpoint (bounded) until the download reaches one of `wanted`."""

    def reached() -> dict[str, Any] | None:
        body = _status(server, token, download_id)
        return body if body["status"] in wanted else None

    found: dict[str, Any] = wait_for(reached, what=f"download {download_id} in {wanted}")
    return found


def _own_row(server: LiveServer, token: str, download_id: int) -> dict[str, Any]:
    response = httpx.get(f"{server.url}/api/user/downloads/1", headers={"token": token})
    assert response.status_code == 200, response.text
    rows = [row for row in response.json() if row["id"] == download_id]
    assert len(rows) == 1
    row: dict[str, Any] = rows[0]
    return row


def test_a_queued_link_is_fetched_and_served_back_whole_in_ranges_and_zipped(
    live_server: LiveServer, file_server: FileServer
) -> None:
    """Queue two links, start the queue: both complete and come back identical, by Range, zipped."""
    first, second = os.urandom(700_000), os.urandom(300_000)
    _name, token = make_user(live_server)
    ids = [
        queue_download(live_server, token, file_server.add("api/first.bin", first)),
        queue_download(live_server, token, file_server.add("api/second.dat", second)),
    ]
    _queue_switch(live_server, "start")
    _queue_switch(live_server, "start")  # starting a started queue is harmless

    for download_id, data in zip(ids, (first, second), strict=True):
        status = _wait_status(live_server, token, download_id, {3, 4})
        assert (status["status"], status["completed_length"], status["total_length"]) == (
            3,
            len(data),
            len(data),
        )
        served = httpx.get(
            f"{live_server.url}/api/download/{download_id}", headers={"token": token}
        )
        assert served.status_code == 200
        assert served.content == data
    part = httpx.get(
        f"{live_server.url}/api/download/{ids[0]}",
        headers={"token": token, "Range": "bytes=1000-1999"},
    )
    assert part.status_code == 206
    assert part.content == first[1000:2000]

    gids = [_own_row(live_server, token, download_id)["gid"] for download_id in ids]
    job = httpx.post(
        f"{live_server.url}/api/compress", json={"gid": gids}, headers={"token": token}
    )
    assert job.status_code == 200, job.text
    process_id = job.json()["process_id"]
    wait_for(
        lambda: (
            httpx.get(
                f"{live_server.url}/api/compression-progress",
                params={"gid": process_id},
                headers={"token": token},
            ).json()["progress"]
            == 1
        ),
        what="zip ready",
    )
    archive = httpx.get(
        f"{live_server.url}/api/file", params={"gid": process_id}, headers={"token": token}
    )
    assert archive.status_code == 200
    with zipfile.ZipFile(io.BytesIO(archive.content)) as opened:
        assert opened.read("first.bin") == first
        assert opened.read("second.dat") == second


def test_a_link_whose_name_climbs_out_lands_inside_its_own_folder(
    live_server: LiveServer, file_server: FileServer
) -> None:
    """An encoded `../` in the link's file name cannot place the file outside downloads/<id>/."""
    data = b"harmless contents\n"
    file_server.add("../../escape.txt", data)
    link = f"{file_server.url}/%2E%2E%2F%2E%2E%2Fescape.txt"
    _name, token = make_user(live_server)
    download_id = queue_download(live_server, token, link)
    _queue_switch(live_server, "start")
    assert _wait_status(live_server, token, download_id, {3, 4})["status"] == 3
    row = _own_row(live_server, token, download_id)
    assert row["path"] == f"{download_id}/escape.txt"
    assert (live_server.data_dir / "downloads" / row["path"]).read_bytes() == data
    assert not (live_server.data_dir / "escape.txt").exists()
    assert not (live_server.data_dir.parent / "escape.txt").exists()


def test_the_quota_counts_what_the_engine_really_downloaded(
    make_server: MakeServer, file_server: FileServer
) -> None:
    """Once completed downloads reach quota_bytes, the next link is refused with the quota key."""
    server = make_server(BASSA_QUOTA_BYTES="100000")
    _name, token = make_user(server)
    url = file_server.add("quota/big.bin", os.urandom(150_000))
    download_id = queue_download(server, token, url)
    _queue_switch(server, "start")
    assert _wait_status(server, token, download_id, {3, 4})["status"] == 3
    refused = httpx.post(f"{server.url}/api/download", json={"link": url}, headers={"token": token})
    body = conforms(refused, "add_download")
    assert refused.status_code == 400
    assert body["quota"] == "exceeded"


def test_a_server_killed_mid_download_finishes_it_after_restart(
    make_server: MakeServer, file_server: FileServer
) -> None:
    """`kill -9` of the server while a download runs: after a restart it completes, resumed."""
    server = make_server()
    data = os.urandom(1_500_000)
    url = file_server.add("api-crash/slow.bin", data, bytes_per_second=300_000)
    _name, token = make_user(server)
    download_id = queue_download(server, token, url)
    _queue_switch(server, "start")
    wait_for(
        lambda: _status(server, token, download_id)["completed_length"] >= 300_000,
        what="300 kB downloaded",
    )
    assert server.process is not None
    aria2c_pid = int((server.data_dir / "aria2" / "aria2c.pid").read_text())
    server.process.kill()
    server.process.wait()
    server.process = None
    # the orphaned aria2c notices its server is gone and exits by itself
    wait_for(lambda: not process_running(aria2c_pid), within=10, what="aria2c exited")
    file_server.throttle("api-crash/slow.bin", None)

    server.start()  # same data folder and secret key: the token is still valid
    assert _wait_status(server, token, download_id, {3, 4})["status"] == 3
    served = httpx.get(f"{server.url}/api/download/{download_id}", headers={"token": token})
    assert served.content == data
    starts = [
        int(header.removeprefix("bytes=").split("-")[0] or 0)
        for header in file_server.ranges_for("api-crash/slow.bin")
        if header
    ]
    assert any(start > 0 for start in starts)


ENGINE_METRICS = (
    "bassa_queue_running",
    'bassa_downloads{status="queued"}',
    'bassa_downloads{status="completed"}',
    "bassa_oldest_queued_download_age_seconds",
    'bassa_download_results_total{outcome="completed"}',
    'bassa_download_results_total{outcome="error"}',
    "bassa_downloaded_bytes_total",
    'bassa_download_duration_seconds_bucket{le="7200.0",outcome="completed"}',
    "bassa_aria2_up",
    "bassa_aria2_restarts_total",
    "bassa_downloads_volume_free_bytes",
    "bassa_downloads_volume_size_bytes",
)


def test_metrics_carry_every_engine_series_of_the_catalogue(
    live_server: LiveServer, file_server: FileServer
) -> None:
    """After a completed download, /metrics shows each engine series with plausible values."""
    data = os.urandom(50_000)
    _name, token = make_user(live_server)
    download_id = queue_download(live_server, token, file_server.add("metrics/one.bin", data))
    _queue_switch(live_server, "start")
    assert _wait_status(live_server, token, download_id, {3, 4})["status"] == 3
    text = httpx.get(f"{live_server.url}/metrics").text
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    for series in ENGINE_METRICS:
        assert series in values, series
    assert values["bassa_queue_running"] == 1
    assert values["bassa_aria2_up"] == 1
    assert values['bassa_downloads{status="completed"}'] >= 1
    assert values["bassa_downloaded_bytes_total"] >= len(data)
    assert (
        values["bassa_downloads_volume_size_bytes"] >= values["bassa_downloads_volume_free_bytes"]
    )


def _readiness(server: LiveServer, wanted: int) -> dict[str, Any]:
    """Poll /api/ready (bounded) until it answers `wanted`; its body."""

    def answered() -> httpx.Response | None:
        response = httpx.get(f"{server.url}/api/ready", timeout=5)
        return response if response.status_code == wanted else None

    response = wait_for(answered, every=0.1, what=f"/api/ready answering {wanted}")
    body: dict[str, Any] = conforms(response, "get_readiness")
    return body


def test_readiness_follows_aria2(make_server: MakeServer) -> None:
    """While aria2c does not answer, /api/ready is 503 naming aria2 (so Kubernetes takes the pod
    out of the Service) and liveness stays 200; once aria2c answers again it is ready again."""
    server = make_server()
    (aria2c,) = server.aria2c_pids()
    os.kill(aria2c, signal.SIGSTOP)
    try:
        unready = _readiness(server, 503)
        assert httpx.get(f"{server.url}/api/health", timeout=5).status_code == 200
    finally:
        os.kill(aria2c, signal.SIGCONT)
    assert unready["status"] == "unready"
    assert unready["checks"]["aria2"] == "unreachable"
    assert unready["checks"]["database"] == "ok"
    assert _readiness(server, 200)["checks"] == {**unready["checks"], "aria2": "ok"}
