"""Zip jobs across two replicas sharing one database and one zips folder, on every database.

A zip job belongs to the replica process that builds it: restarting the other replica leaves
it alone, two replicas asked for the same zip at once build it once, and a builder killed
mid-build is replaced by the other replica, which builds the zip again and serves it. A build is
held in flight by a file it cannot open until the test lets it (a lease, as a stalled network
volume would hold it), so the tests do not depend on how fast the machine writes zips.
"""

from __future__ import annotations

import fcntl
import io
import os
import signal
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from tests.conftest import DatabaseServers
from tests.integration.replicas._support import (
    completed_download,
    kill,
    replica_set,
    stop_all,
    zip_job,
)
from tests.integration.server.helpers import conforms, http, make_user
from tests.live_server import LiveServer
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

PIECE_BYTES = 1024 * 1024
PIECES = 4
# the lease (15 s) runs out, the next renewal pass (3 s) takes the job over, then it is built
TAKEOVER_SECONDS = 90.0


class HeldFile:
    """A file whose readers wait until the test lets them, as on a stalled network volume.

    The test holds a Linux write lease on it (`F_SETLEASE`): another process's `open()` blocks
    until the lease is released, or the kernel breaks it (`/proc/sys/fs/lease-break-time`, 45 s
    by default). A stat or a hard link does not wait.
    """

    def __init__(self, path: Path, data: bytes) -> None:
        path.write_bytes(data)
        self.path, self.data = path, data
        # the kernel announces a reader with SIGIO, whose default action ends the process
        self._handler = signal.signal(signal.SIGIO, signal.SIG_IGN)
        self._descriptor: int | None = os.open(path, os.O_RDONLY)
        fcntl.fcntl(self._descriptor, fcntl.F_SETLEASE, fcntl.F_WRLCK)

    def release(self) -> None:
        """Let every reader open the file from now on."""
        if self._descriptor is None:
            return
        fcntl.fcntl(self._descriptor, fcntl.F_SETLEASE, fcntl.F_UNLCK)
        os.close(self._descriptor)
        self._descriptor = None
        signal.signal(signal.SIGIO, self._handler)


class Pair(NamedTuple):
    """Two replicas, the shared folders and the files every download links to."""

    a: LiveServer
    b: LiveServer
    downloads: Path
    zips: Path
    piece: bytes
    piece_path: Path
    root: Path


@pytest.fixture(scope="module")
def pair(
    database: str, database_servers: DatabaseServers, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """Two engine-less replicas on one fresh database (one SQLite file for SQLite)."""
    root = tmp_path_factory.mktemp(f"zip-replicas-{database}")
    url = database_servers.new_database(database) or f"sqlite:///{root / 'shared.db'}"
    servers = replica_set(root, url, root / "shared", 2, {"BASSA_ENGINE": "0"})
    piece = os.urandom(PIECE_BYTES)
    piece_path = root / "piece.bin"
    piece_path.write_bytes(piece)
    try:
        for server in servers:
            server.start()
        shared = root / "shared"
        a, b = servers
        yield Pair(a, b, shared / "downloads", shared / "zips", piece, piece_path, root)
    finally:
        stop_all(servers)


@pytest.fixture
def held(pair: Pair) -> Iterator[HeldFile]:
    """A held file beside the pieces, released at the latest when the test ends."""
    slow = HeldFile(pair.root / f"held-{os.urandom(4).hex()}", os.urandom(PIECE_BYTES))
    try:
        yield slow
    finally:
        slow.release()


def library(pair: Pair, token: str, label: str, held: HeldFile | None = None) -> list[str]:
    """Completed downloads queued through both replicas: the held file (first, if given) and
    `PIECES` pieces; their gids."""
    servers = (pair.a, pair.b)
    sources = ([held.path] if held else []) + [pair.piece_path] * PIECES
    return [
        completed_download(servers[n % 2], pair.downloads, token, f"{label}-{n}.bin", source)[1]
        for n, source in enumerate(sources)
    ]


def compress(server: LiveServer, token: str, gids: list[str]) -> dict[str, Any]:
    """Ask `server` for the zip of `gids`; its answer (checked against the spec later: the
    first check loads the spec, longer than a build takes)."""
    response = http.post(f"{server.url}/api/compress", json={"gid": gids}, headers={"token": token})
    assert response.status_code == 200, response.text
    answers.append(response)
    body: dict[str, Any] = response.json()
    return body


answers: list[httpx.Response] = []


@pytest.fixture(autouse=True)
def answers_conform() -> Iterator[None]:
    """Every answer to `compress` in a test is one the spec documents."""
    answers.clear()
    yield
    for response in answers:
        conforms(response, "compress")


def progress(server: LiveServer, token: str, process_id: str) -> dict[str, Any]:
    """A zip job's progress as `server` reports it."""
    response = http.get(
        f"{server.url}/api/compression-progress",
        params={"gid": process_id},
        headers={"token": token},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = conforms(response, "get_compression_progress")
    return body


def finished(server: LiveServer, token: str, process_id: str, within: float) -> dict[str, Any]:
    """Wait (bounded) until the job is no longer running as `server` sees it; its progress."""

    def ended() -> dict[str, Any] | None:
        job = progress(server, token, process_id)
        return job if job["status"] != "running" else None

    result: dict[str, Any] = wait_for(ended, within=within, what=f"zip {process_id[:12]} built")
    return result


def fetch_zip(server: LiveServer, token: str, process_id: str) -> bytes:
    """The finished zip as `server` serves it."""
    response = http.get(
        f"{server.url}/api/file", params={"gid": process_id}, headers={"token": token}
    )
    assert response.status_code == 200, response.text[:200]
    return response.content


def assert_zip_of(data: bytes, pair: Pair, held: HeldFile | None = None) -> None:
    """`data` is a valid zip of the held file's bytes (if given) and `PIECES` pieces."""
    expected = ([held.data] if held else []) + [pair.piece] * PIECES
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        # in the order of the first request's gids, whichever replica that reached
        assert sorted(archive.read(name) for name in archive.namelist()) == sorted(expected)


def building(pair: Pair, process_id: str) -> bool:
    """Whether a build of `process_id` is writing its partial file."""
    return any(pair.zips.glob(f".{process_id}.*.part"))


def test_restarting_one_replica_leaves_the_other_replicas_zip_building(
    pair: Pair, held: HeldFile
) -> None:
    """Replica B restarts while A builds a zip (waiting for a slow file): B still reports it
    running, and once the file arrives the zip completes in A's one attempt and both replicas
    serve the same valid zip."""
    _name, token = make_user(pair.a)
    gids = library(pair, token, "restart", held)
    process_id = compress(pair.a, token, gids)["process_id"]
    wait_for(lambda: building(pair, process_id), what="the build to start")

    pair.b.restart()
    after_restart = progress(pair.b, token, process_id)
    held.release()

    assert after_restart["status"] == "running"
    assert finished(pair.b, token, process_id, within=60.0)["status"] == "done"
    from_a, from_b = fetch_zip(pair.a, token, process_id), fetch_zip(pair.b, token, process_id)
    assert from_a == from_b
    assert_zip_of(from_b, pair, held)
    assert zip_job(pair.a, process_id)[:2] == ("done", 1)


def test_the_same_zip_asked_of_both_replicas_at_once_is_built_once(
    pair: Pair, held: HeldFile
) -> None:
    """Both replicas asked at the same moment for one zip name the same running job, build it
    once, and serve the same bytes."""
    _name, token = make_user(pair.a)
    gids = library(pair, token, "twice", held)
    barrier = threading.Barrier(2, timeout=30)
    answers: dict[str, dict[str, Any]] = {}

    def ask(server: LiveServer, key: str, order: list[str]) -> None:
        barrier.wait()
        answers[key] = compress(server, token, order)

    threads = [
        threading.Thread(target=ask, args=(pair.a, "a", gids)),
        threading.Thread(target=ask, args=(pair.b, "b", gids[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    process_id = answers["a"]["process_id"]
    wait_for(lambda: building(pair, process_id), what="the build to start")
    held.release()

    assert answers["b"]["process_id"] == process_id
    assert answers["a"]["status"] == answers["b"]["status"] == "running"
    assert finished(pair.a, token, process_id, within=60.0)["status"] == "done"
    assert progress(pair.b, token, process_id)["status"] == "done"
    from_a, from_b = fetch_zip(pair.a, token, process_id), fetch_zip(pair.b, token, process_id)
    assert from_a == from_b
    assert_zip_of(from_a, pair, held)
    assert zip_job(pair.a, process_id)[:2] == ("done", 1)
    assert len(list(pair.zips.glob(f".{process_id}.*"))) == 0


def test_a_builder_killed_midway_is_replaced_by_the_other_replica(
    pair: Pair, held: HeldFile
) -> None:
    """`kill -9` of the replica building a zip: the other replica takes the job over once the
    lease runs out, builds it again and serves a valid zip; it is never reported failed."""
    _name, token = make_user(pair.b)
    gids = library(pair, token, "killed", held)
    process_id = compress(pair.a, token, gids)["process_id"]
    wait_for(lambda: building(pair, process_id), what="the build to start")
    owner = zip_job(pair.b, process_id)[2]

    kill(pair.a)
    held.release()

    assert progress(pair.b, token, process_id)["status"] == "running"
    assert finished(pair.b, token, process_id, within=TAKEOVER_SECONDS)["status"] == "done"
    assert_zip_of(fetch_zip(pair.b, token, process_id), pair, held)
    status, attempt, rebuilt_by = zip_job(pair.b, process_id)
    assert (status, attempt) == ("done", 2)
    assert rebuilt_by != owner
