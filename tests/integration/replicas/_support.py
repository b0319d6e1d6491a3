"""What the replica tests share: replicas on one database and one folder, and acting on them.

Replicas of a deployment share the database, the downloads folder and the zips folder; each has
a data folder of its own (its aria2 state, its engine id). `kill` is `kill -9`.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from sqlalchemy import select

from bassa_server._config import Settings
from bassa_server._db.models import CompressionJob, Download
from bassa_server._engine import default_engine_id
from bassa_server._lifecycle import _transfers as transfers
from tests.integration.server.helpers import TEST_ENGINE, database, lifecycle, queue_download
from tests.live_server import LiveServer


def replica_set(
    root: Path,
    database_url: str,
    shared: Path,
    count: int,
    env: Mapping[str, str] | None = None,
) -> list[LiveServer]:
    """`count` replica definitions (not started) on one database and the folders in `shared`."""
    folders = {
        "BASSA_DOWNLOADS_DIR": str(shared / "downloads"),
        "BASSA_ZIPS_DIR": str(shared / "zips"),
    }
    return [
        LiveServer(
            data_dir=root / f"replica{index}",
            database_url=database_url,
            extra_env={**folders, **(env or {})},
        )
        for index in range(count)
    ]


def start_together(servers: list[LiveServer]) -> list[str]:
    """Start every server at the same moment; the failures, one line each."""
    failures: list[str] = []
    barrier = threading.Barrier(len(servers), timeout=60)

    def start(server: LiveServer) -> None:
        barrier.wait()
        try:
            server.start()
        except RuntimeError as exc:
            failures.append(str(exc).splitlines()[0] + "\n" + server.log()[-2000:])

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    return failures


def stop_all(servers: Iterable[LiveServer]) -> None:
    """Ask every server to stop at once, then wait for each."""
    for server in servers:
        if server.process is not None and server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        server.stop()


def kill(server: LiveServer) -> None:
    """`kill -9` the server process, as a crashed node would; its children stop on their own."""
    process = server.process
    assert process is not None
    process.kill()
    process.wait()
    server.process = None


def engine_id(server: LiveServer) -> str:
    """The id the server's download engine claims downloads with."""
    return default_engine_id(Settings(data_dir=server.data_dir.resolve()))


def completed_download(
    server: LiveServer, downloads: Path, token: str, name: str, source: Path
) -> tuple[int, str]:
    """A completed download whose file (a hard link to `source`) is in the shared `downloads`
    folder, finished as an engine would: its id and gid."""
    download_id = queue_download(server, token, f"https://example.org/{name}")
    sessions, now = lifecycle(server), int(time.time())
    assert transfers.claim_download(sessions, TEST_ENGINE, download_id, now) is not None
    gid = f"{download_id:016x}"
    assert transfers.set_gid(sessions, download_id, TEST_ENGINE, gid)
    folder = downloads / str(download_id)
    folder.mkdir(parents=True)
    os.link(source, folder / name)
    done = transfers.complete(
        sessions,
        download_id,
        TEST_ENGINE,
        size=source.stat().st_size,
        path=f"{download_id}/{name}",
        name=name,
        now=now,
    )
    assert done
    return download_id, gid


def zip_job(server: LiveServer, process_id: str) -> tuple[str, int, str | None]:
    """A zip job's status, attempt and owner, read from the database."""
    query = select(CompressionJob.status, CompressionJob.attempt, CompressionJob.owner).where(
        CompressionJob.process_id == process_id
    )
    with database(server).connect() as connection:
        row = connection.execute(query).one()
    return row.status, row.attempt, row.owner


def claimed_by(server: LiveServer, download_id: int) -> str | None:
    """The engine that holds a download's claim, read from the database."""
    query = select(Download.claimed_by).where(Download.id == download_id)
    with database(server).connect() as connection:
        owner: str | None = connection.execute(query).scalar_one()
    return owner
