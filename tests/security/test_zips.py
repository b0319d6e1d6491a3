"""Zip amplification and the zips a killed build leaves behind.

The attacks: zip ever more subsets of the shared library to fill the disk with copies (no room
check, no per-user limit), many builds at once, and a build killed mid-way whose partial file
nobody ever removes. The server withstands them: a zip that would leave the volume with less
than `BASSA_MIN_FREE_BYTES` is refused (507); a user may have `BASSA_MAX_ZIP_JOBS_RUNNING` jobs
running and keep `BASSA_MAX_ZIP_JOBS` zips (429 with `Retry-After`); an identical set is served
from the zip already built; and a killed build is built again once its lease runs out, its
orphan `.part` file removed and the job swept after its lifetime.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import MakeServer
from tests.in_process import in_process_server
from tests.integration.server.helpers import (
    complete_download,
    conforms,
    http,
    make_user,
    queue_download,
)
from tests.live_server import LiveServer
from tests.security._egress_support import wait_until

pytestmark = pytest.mark.integration

BIG_BYTES = 48 * 1024 * 1024  # big enough that zipping a few copies takes a while


@pytest.fixture(scope="module")
def zips(make_server: MakeServer) -> LiveServer:
    """A server without an engine that lets a user run one zip job and keep three zips."""
    return make_server(BASSA_ENGINE="0", BASSA_MAX_ZIP_JOBS_RUNNING="1", BASSA_MAX_ZIP_JOBS="3")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A file of random bytes that completed downloads link to (a hard link costs no disk)."""
    path = tmp_path_factory.mktemp("big") / "big.bin"
    with path.open("wb") as out:
        for _ in range(BIG_BYTES // (4 * 1024 * 1024)):
            out.write(os.urandom(4 * 1024 * 1024))
    return path


def completed(server: LiveServer, token: str, name: str, source: Path | bytes) -> str:
    """A completed download whose file is `source` (linked) or holds `source`; its gid."""
    download_id = queue_download(server, token, f"https://example.org/{name}")
    return complete_download(server, download_id, name, source)


def compress(server: LiveServer, token: str, gids: list[str]) -> Any:
    """Ask for the zip of `gids`; the answer must be one the spec documents."""
    response = http.post(f"{server.url}/api/compress", json={"gid": gids}, headers={"token": token})
    conforms(response, "compress")
    return response


def wait_zip(server: LiveServer, token: str, process_id: str) -> dict[str, Any]:
    """Wait (bounded) until a zip job is no longer running; its progress."""

    def finished() -> dict[str, Any] | None:
        job: dict[str, Any] = http.get(
            f"{server.url}/api/compression-progress",
            params={"gid": process_id},
            headers={"token": token},
        ).json()
        return job if job.get("status") != "running" else None

    result: dict[str, Any] = wait_until(finished, within=60.0, what=f"zip {process_id}")
    return result


def test_a_second_zip_while_one_runs_is_refused(zips: LiveServer, big_file: Path) -> None:
    """With one zip job allowed per user, a second one while the first builds answers 429."""
    _name, token = make_user(zips)
    gids = [completed(zips, token, f"big-{n}.bin", big_file) for n in range(4)]

    first = compress(zips, token, gids)
    second = compress(zips, token, gids[:1])

    assert first.status_code == 200, first.text
    assert second.status_code == 429, second.text
    assert int(second.headers["Retry-After"]) >= 1
    assert wait_zip(zips, token, first.json()["process_id"])["status"] == "done"
    assert compress(zips, token, gids[:1]).status_code == 200


def test_a_user_keeps_a_bounded_number_of_zips_but_identical_sets_are_reused(
    zips: LiveServer,
) -> None:
    """Three kept zips per user: a fourth set is 429 until one expires, while asking again
    for a set already zipped (in another order) returns the same zip without building it."""
    _name, token = make_user(zips)
    gids = [completed(zips, token, f"small-{n}.txt", os.urandom(1000)) for n in range(5)]
    built = []
    for subset in ([gids[0], gids[1]], [gids[2]], [gids[3]]):
        answer = compress(zips, token, subset)
        assert answer.status_code == 200, answer.text
        built.append(answer.json()["process_id"])
        assert wait_zip(zips, token, built[-1])["status"] == "done"
    first_zip = zips.data_dir / "zips" / f"{built[0]}.zip"
    first_built = first_zip.stat().st_mtime_ns

    refused = compress(zips, token, [gids[4]])
    again = compress(zips, token, [gids[1], gids[0]])

    assert refused.status_code == 429, refused.text
    assert int(refused.headers["Retry-After"]) > 3600  # the oldest zip lives a day
    assert again.status_code == 200, again.text
    assert again.json()["process_id"] == built[0]
    assert again.json()["progress"] == 1
    assert first_zip.stat().st_mtime_ns == first_built


async def test_a_zip_that_would_fill_the_volume_is_refused(tmp_path: Path) -> None:
    """A server that must keep more free space than there is refuses a zip with 507, as adds."""
    async with in_process_server(tmp_path) as roomy:  # the same data folder, room to queue
        token = await roomy.user("zipper")
        gid = roomy.complete(await roomy.queue(token, "https://example.org/a.txt"), "a.txt", b"a")
    async with in_process_server(tmp_path, min_free_bytes=2**62) as full:
        auth = {"token": await full.login("zipper")}
        answer = await full.http.post("/api/compress", json={"gid": [gid]}, headers=auth)
        link = {"link": "https://example.org/more.bin"}
        added = await full.http.post("/api/download", json=link, headers=auth)

    assert (answer.status_code, conforms(answer, "compress")) == (
        507,
        {"error": "the zips volume is too full for this zip"},
    )
    assert added.status_code == 507
    assert not list((tmp_path / "zips").iterdir())


def test_a_zip_build_killed_midway_is_rebuilt_and_leaves_nothing_behind(
    make_server: MakeServer, big_file: Path
) -> None:
    """`kill -9` during a build: after the restart the job is built again once its lease runs
    out, the killed build's `.part` is removed, and the job is swept after its lifetime."""
    server = make_server(BASSA_ENGINE="0", BASSA_ZIP_TTL_SECONDS="4")
    _name, token = make_user(server)
    gids = [completed(server, token, f"killed-{n}.bin", big_file) for n in range(6)]
    process_id = compress(server, token, gids).json()["process_id"]
    zips_dir = server.data_dir / "zips"

    def partials() -> list[Path]:
        return list(zips_dir.glob(f".{process_id}.*.part"))

    wait_until(lambda: any(p.stat().st_size > 0 for p in partials()), what="the build")
    killed = partials()
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    server.process = None

    server.start()

    assert wait_zip(server, token, process_id)["status"] == "done"
    fetched = http.get(
        f"{server.url}/api/file", params={"gid": process_id}, headers={"token": token}
    )
    assert fetched.status_code == 200
    assert len(fetched.content) > len(gids) * BIG_BYTES
    wait_until(lambda: not any(p.exists() for p in killed), within=15.0, what="the .part gone")
    wait_until(lambda: not list(zips_dir.iterdir()), within=15.0, what="the zip swept")
    gone = http.get(
        f"{server.url}/api/compression-progress",
        params={"gid": process_id},
        headers={"token": token},
    )
    assert gone.status_code == 404
