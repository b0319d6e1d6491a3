"""Three replicas with their engines on one PostgreSQL or MariaDB and one downloads folder.

Downloads queued through different replicas are each fetched from the source once; the replica
running a transfer is killed (`kill -9`) mid-transfer and another takes it over and completes
it; and every replica serves every completed file, byte for byte the source's. The source is a
file server on 127.0.0.2 (the stand-in for a public host the replicas' egress proxies let
through) that records every request by path. One set of replicas per database serves the
module.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import DatabaseServers, selected_databases
from tests.databases import MARIADB, POSTGRESQL
from tests.file_server import FileServer
from tests.integration.replicas._support import (
    claimed_by,
    engine_id,
    kill,
    replica_set,
    stop_all,
)
from tests.integration.server.helpers import http, make_user, queue_download
from tests.live_server import LiveServer
from tests.security._egress_support import (
    PUBLIC_HOST,
    guarded_env,
    servers_on,
    start_queue,
    status_of,
    wait_until,
)

pytestmark = pytest.mark.integration

REPLICAS = 3
DOWNLOADS = 6
FILE_BYTES = 512 * 1024
SLOW_BYTES = 4 * 1024 * 1024
SLOW_RATE = 128 * 1024  # bytes per second: the slow file would take 32 s
TAKEN_OVER_RATE = 1024 * 1024  # after the kill: still slow enough to see who holds the claim
# the engines' claims go stale after a minute without a heartbeat; then one re-queues and takes
# the download (bounded generously: a loaded machine is slow)
TAKEOVER_SECONDS = 120.0
COMPLETED = 3
STARTED = 1


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`shared_database` takes each selected server database (PostgreSQL, MariaDB), once per
    module (its replicas serve every test of the module)."""
    if "shared_database" in metafunc.fixturenames:
        names = [n for n in selected_databases(metafunc.config) if n in (POSTGRESQL, MARIADB)]
        metafunc.parametrize("shared_database", names, indirect=True, scope="module")


@pytest.fixture(scope="module")
def shared_database(request: pytest.FixtureRequest) -> str:
    """The database the module's replicas share."""
    name: str = request.param
    return name


@pytest.fixture(scope="module")
def source() -> Iterator[FileServer]:
    """The "public" file server every download comes from; it records each request."""
    yield from servers_on(PUBLIC_HOST)


class Trio(NamedTuple):
    """The replicas and the database they share."""

    replicas: list[LiveServer]
    database: str


@pytest.fixture(scope="module")
def trio(
    shared_database: str,
    database_servers: DatabaseServers,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Trio]:
    """Three replicas, engines on, on a fresh database (started one after another: starting
    together is test_replicas.py's concern)."""
    root = tmp_path_factory.mktemp(f"trio-{shared_database}")
    url = database_servers.new_database(shared_database)
    servers = replica_set(root, url, root / "shared", REPLICAS, guarded_env())
    try:
        for server in servers:
            server.start()
        start_queue(servers[0])
        yield Trio(servers, shared_database)
    finally:
        stop_all(servers)


class Completed(NamedTuple):
    """A completed download and the bytes the source holds for it."""

    download_id: int
    name: str
    data: bytes


@pytest.fixture(scope="module")
def batch(trio: Trio, source: FileServer) -> tuple[str, list[Completed]]:
    """`DOWNLOADS` downloads queued in turn through each replica, all completed; the owner's
    token and the downloads."""
    _name, token = make_user(trio.replicas[0])
    queued = []
    for n in range(DOWNLOADS):
        name, data = f"{trio.database}/batch-{n}.bin", os.urandom(FILE_BYTES)
        link = source.add(name, data)
        queued.append(
            Completed(queue_download(trio.replicas[n % REPLICAS], token, link), name, data)
        )

    def all_completed() -> bool:
        return all(
            status_of(trio.replicas[-1], token, item.download_id)["status"] == COMPLETED
            for item in queued
        )

    wait_until(all_completed, within=TAKEOVER_SECONDS, what="every download completed")
    return token, queued


def served(server: LiveServer, token: str, download_id: int) -> bytes:
    """A completed download's file as `server` serves it."""
    response = http.get(f"{server.url}/api/download/{download_id}", headers={"token": token})
    assert response.status_code == 200, response.text[:200]
    return response.content


def test_downloads_queued_through_different_replicas_are_each_fetched_once(
    batch: tuple[str, list[Completed]], source: FileServer
) -> None:
    """Every download queued through one of the three replicas was fetched from the source by
    exactly one request: no two replicas' engines claimed it."""
    _token, downloads = batch
    assert {item.name: len(source.ranges_for(item.name)) for item in downloads} == {
        item.name: 1 for item in downloads
    }


def test_every_replica_serves_every_completed_file_as_the_source_holds_it(
    trio: Trio, batch: tuple[str, list[Completed]]
) -> None:
    """Each of the three replicas serves each completed file byte for byte as the source
    holds it, whichever replica downloaded it."""
    token, downloads = batch
    for server in trio.replicas:
        for item in downloads:
            assert served(server, token, item.download_id) == item.data, (server.url, item.name)


def test_a_replica_killed_mid_transfer_has_its_download_taken_over_and_completed(
    trio: Trio, source: FileServer
) -> None:
    """`kill -9` of the replica running a slow transfer: another replica takes the download
    over and completes it, and every replica (the killed one restarted) serves the file as the
    source holds it."""
    first = trio.replicas[0]
    _name, token = make_user(first)
    name, data = f"{trio.database}/slow.bin", os.urandom(SLOW_BYTES)
    download_id = queue_download(first, token, source.add(name, data, bytes_per_second=SLOW_RATE))

    def in_flight() -> bool:
        status = status_of(first, token, download_id)
        return bool(status["status"] == STARTED and status["completed_length"] > 0)

    wait_until(in_flight, what="the slow transfer under way")
    holder = claimed_by(first, download_id)
    (victim,) = [server for server in trio.replicas if engine_id(server) == holder]
    survivors = [server for server in trio.replicas if server is not victim]
    its_aria2c = victim.aria2c_pids()
    assert its_aria2c

    kill(victim)
    wait_until(lambda: not any(_alive(pid) for pid in its_aria2c), what="its aria2c gone")
    source.throttle(name, TAKEN_OVER_RATE)  # the takeover is what is tested, not the wait
    heirs = {engine_id(server) for server in survivors}

    def taken_over() -> bool:
        return claimed_by(first, download_id) in heirs

    def completed() -> bool:
        return bool(status_of(survivors[0], token, download_id)["status"] == COMPLETED)

    wait_until(taken_over, within=TAKEOVER_SECONDS, what="the download claimed by a survivor")
    wait_until(completed, what="the download taken over and completed")
    for server in survivors:
        assert served(server, token, download_id) == data, server.url
    victim.start()
    assert served(victim, token, download_id) == data


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie, dead but not yet reaped, does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
