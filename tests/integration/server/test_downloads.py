"""Download records: queueing checks, pages, deletion rules, ratings and progress."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.in_process import in_process_server
from tests.integration.server.helpers import (
    admin_token,
    complete_download,
    conforms,
    fail_download,
    http,
    make_user,
    queue_download,
    start_download,
)
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


def test_add_download_names_it_from_the_link(server: LiveServer) -> None:
    """A queued link is status 0 with its decoded file name, owned by the caller."""
    name, token = make_user(server)
    response = http.post(
        f"{server.url}/api/download",
        json={"link": "https://example.org/files/My%20Report.pdf?x=1"},
        headers={"token": token},
    )
    body = conforms(response, "add_download")
    assert body["status"] == "success"
    rows = http.get(f"{server.url}/api/user/downloads/1", headers={"token": token}).json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["id"], row["user_name"], row["status"]) == (body["id"], name, 0)
    assert (row["download_name"], row["size"], row["gid"], row["path"]) == (
        "My Report.pdf",
        0,
        None,
        None,
    )


def test_links_refused_with_reasons(server: LiveServer) -> None:
    """Wrong schemes, magnets (torrents off) and host-less links are 400s that queue nothing."""
    _, token = make_user(server)
    for link, message in (
        ("file:///etc/passwd", "body/link: not in the expected format"),
        ("magnet:?xt=urn:btih:abc&dn=x", "link scheme not allowed: magnet"),
        ("http://", "body/link: not in the expected format"),
    ):
        response = http.post(
            f"{server.url}/api/download", json={"link": link}, headers={"token": token}
        )
        assert response.status_code == 400
        assert conforms(response, "add_download")["error"].startswith(message)
        assert response.headers["token"]
    own = http.get(f"{server.url}/api/user/downloads/1", headers={"token": token}).json()
    assert own == []


def test_own_downloads_page_by_15_oldest_first(server: LiveServer) -> None:
    """Page 1 holds the 15 oldest, page 2 the rest, page 3 is empty, page 0 is a 400."""
    _, token = make_user(server)
    ids = [queue_download(server, token, f"https://example.org/p{i}.bin") for i in range(17)]
    pages = [
        conforms(
            http.get(f"{server.url}/api/user/downloads/{page}", headers={"token": token}),
            "list_own_downloads",
        )
        for page in (1, 2, 3)
    ]
    assert [row["id"] for row in pages[0]] == ids[:15]
    assert [row["id"] for row in pages[1]] == ids[15:]
    assert pages[2] == []
    zero = http.get(f"{server.url}/api/user/downloads/0", headers={"token": token})
    assert (zero.status_code, conforms(zero, "list_own_downloads")) == (
        400,
        {"error": "page: 0 is less than the minimum of 1"},
    )


def test_completed_downloads_are_shared_newest_first(server: LiveServer) -> None:
    """Every user sees everyone's completed downloads, newest completion first."""
    _, alice = make_user(server)
    _, bob = make_user(server)
    first = queue_download(server, alice, "https://example.org/old.bin")
    second = queue_download(server, bob, "https://example.org/new.bin")
    queued = queue_download(server, bob, "https://example.org/queued.bin")
    complete_download(server, first, "old.bin", b"old", completed_time=1000)
    complete_download(server, second, "new.bin", b"new")
    page = conforms(
        http.get(f"{server.url}/api/downloads/1", headers={"token": alice}),
        "list_completed_downloads",
    )
    ids = [row["id"] for row in page]
    assert second in ids and first not in ids[: ids.index(second)]
    assert queued not in ids
    times = [row["completed_time"] for row in page]
    assert times == sorted(times, reverse=True)
    assert next(row for row in page if row["id"] == second)["size"] == 3


def test_pages_show_changes_made_by_another_process(server: LiveServer) -> None:
    """A page served once is served anew as soon as any process commits a change."""
    _, token = make_user(server)
    download_id = queue_download(server, token, "https://example.org/fresh.bin")
    url = f"{server.url}/api/user/downloads/1"
    for expected in (0, 1, 3):
        if expected == 1:
            start_download(server, download_id)
        elif expected == 3:
            complete_download(server, download_id, "fresh.bin", b"fresh")
        for _ in range(2):
            rows = http.get(url, headers={"token": token}).json()
            assert [row["status"] for row in rows] == [expected]


def test_delete_rules(server: LiveServer) -> None:
    """Owners delete queued or failed rows; others get 403, started or completed rows 409 saying
    which, unknown ids 404."""
    url = server.url
    _, owner = make_user(server)
    _, stranger = make_user(server)
    queued = queue_download(server, owner, "https://example.org/d1.bin")
    failed = queue_download(server, owner, "https://example.org/d2.bin")
    started = queue_download(server, owner, "https://example.org/d3.bin")
    fail_download(server, failed, "404 from origin")
    start_download(server, started)
    other = http.delete(f"{url}/api/download/{queued}", headers={"token": stranger})
    assert (other.status_code, conforms(other, "delete_download")) == (
        403,
        {"error": "not authorized"},
    )
    busy = http.delete(f"{url}/api/download/{started}", headers={"token": owner})
    assert busy.status_code == 409
    assert conforms(busy, "delete_download")["error"].startswith("the download has started")
    done = queue_download(server, owner, "https://example.org/d4.bin")
    complete_download(server, done, "d4.bin", b"done")
    finished = http.delete(f"{url}/api/download/{done}", headers={"token": owner})
    assert finished.status_code == 409
    assert conforms(finished, "delete_download")["error"].startswith("the download is completed")
    for download_id in (queued, failed):
        gone = http.delete(f"{url}/api/download/{download_id}", headers={"token": owner})
        assert conforms(gone, "delete_download") == {"status": "success"}
    missing = http.delete(f"{url}/api/download/{queued}", headers={"token": owner})
    assert (missing.status_code, conforms(missing, "delete_download")) == (
        404,
        {"error": "download not found"},
    )
    remaining = http.get(f"{url}/api/user/downloads/1", headers={"token": owner}).json()
    assert sorted(row["id"] for row in remaining) == sorted([started, done])


def test_admin_may_delete_anyones_queued_download(server: LiveServer) -> None:
    """An admin deletes another user's queued download."""
    _, owner = make_user(server)
    download_id = queue_download(server, owner, "https://example.org/a1.bin")
    response = http.delete(
        f"{server.url}/api/download/{download_id}",
        headers={"token": admin_token(server)},
    )
    assert response.status_code == 200


def test_rating_is_the_rounded_average(server: LiveServer) -> None:
    """Each user's rating replaces their earlier one and the download shows the rounded mean."""
    url = server.url
    _, alice = make_user(server)
    _, bob = make_user(server)
    download_id = queue_download(server, alice, "https://example.org/r.bin")
    complete_download(server, download_id, f"r-{download_id}.bin", b"rated")
    rate = f"{url}/api/download/rate/{download_id}"
    assert conforms(
        http.post(rate, json={"rate": 5}, headers={"token": alice}), "rate_download"
    ) == {
        "status": "success",
        "rating": 5,
    }
    assert http.post(rate, json={"rate": 2}, headers={"token": bob}).json()["rating"] == 4
    assert http.post(rate, json={"rate": 1}, headers={"token": alice}).json()["rating"] == 2
    row = http.get(f"{url}/api/user/downloads/1", headers={"token": alice}).json()[0]
    assert row["rating"] == 2
    too_high = http.post(rate, json={"rate": 6}, headers={"token": alice})
    assert (too_high.status_code, conforms(too_high, "rate_download")) == (
        400,
        {"error": "body/rate: 6 is greater than the maximum of 5"},
    )
    missing = http.post(
        f"{url}/api/download/rate/999999999", json={"rate": 3}, headers={"token": bob}
    )
    assert (missing.status_code, conforms(missing, "rate_download")) == (
        404,
        {"error": "download not found"},
    )


def test_download_status_shows_engine_progress(server: LiveServer) -> None:
    """The owner sees the progress columns the engine keeps; others get 403, unknown ids 404."""
    url = server.url
    _, owner = make_user(server)
    _, stranger = make_user(server)
    download_id = queue_download(server, owner, "https://example.org/s.bin")
    start_download(server, download_id, size=2048, done=512, speed=64)
    status = conforms(
        http.get(f"{url}/api/download/{download_id}/status", headers={"token": owner}),
        "get_download_status",
    )
    assert status == {
        "id": download_id,
        "status": 1,
        "completed_length": 512,
        "total_length": 2048,
        "download_speed": 64,
        "error": None,
    }
    other = http.get(f"{url}/api/download/{download_id}/status", headers={"token": stranger})
    assert other.status_code == 403
    missing = http.get(f"{url}/api/download/999999999/status", headers={"token": owner})
    assert missing.status_code == 404


def test_queue_switch_and_status(server: LiveServer) -> None:
    """The server key starts and pauses the queue; the status reflects it and the counts."""
    url = server.url
    key = {"key": server.server_key}
    _, token = make_user(server)
    started = http.get(f"{url}/api/download/start", headers=key)
    assert conforms(started, "start_queue") == {"status": "success", "state": "running"}
    status = conforms(http.get(f"{url}/api/queue", headers={"token": token}), "get_queue_status")
    assert status["state"] == "running"
    paused = http.get(f"{url}/api/download/kill", headers=key)
    assert conforms(paused, "kill_queue") == {"status": "success", "state": "paused"}
    before = http.get(f"{url}/api/queue", headers={"token": token}).json()
    assert before["state"] == "paused"
    queue_download(server, token, "https://example.org/q.bin")
    after = http.get(f"{url}/api/queue", headers={"token": token}).json()
    assert after["queued"] == before["queued"] + 1


async def test_quota_and_full_disk(tmp_path: Path) -> None:
    """Over quota is `400 {"quota": "exceeded"}`; a nearly full volume is a 507."""
    link = {"link": "https://example.org/x.bin"}
    async with in_process_server(tmp_path / "quota", quota_bytes=0) as over_quota:
        token = await over_quota.user("quota")
        refused = await over_quota.http.post("/api/download", json=link, headers={"token": token})
    assert (refused.status_code, conforms(refused, "add_download")) == (
        400,
        {"error": "quota exceeded", "quota": "exceeded"},
    )
    async with in_process_server(tmp_path / "full", min_free_bytes=10**18) as full:
        token = await full.user("full")
        response = await full.http.post("/api/download", json=link, headers={"token": token})
    assert (response.status_code, conforms(response, "add_download")) == (
        507,
        {"error": "the downloads volume is too full"},
    )
