"""Measure the two figures that decide whether replicas are safe: how long a download's claim
goes unrenewed while retention sweeps many rows, and how long a dead replica's download waits.

1. Heartbeat gap: one server (engine on, `BASSA_RETENTION_DAYS=1`) starts on a database holding
   N expired downloads (50,000 by default, bulk-inserted) and one slow download; while the sweep
   runs, the download's `heartbeat_time` is sampled every 50 ms. Printed: the sweep's length and
   the longest time the claim went without a renewal. (Another replica takes a claim over once
   that exceeds the claim timeout.)
2. Takeover: replicas A and B share a database and a downloads folder; A runs a slow download,
   is killed with SIGKILL, and the clock runs until B has claimed the download (and until B
   has written its first new byte).

Sources are served on 127.0.0.2 and let through the egress proxy with
`BASSA_ALLOWED_PRIVATE_NETWORKS`, as tests do. The servers run on their defaults otherwise.

    .venv/bin/python benchmarks/replicas.py [--expired 50000] [--only heartbeat|takeover]

Both run on SQLite files (two server processes share one, as they would share PostgreSQL).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import Engine, create_engine, insert, select, update

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.file_server import FileServer  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

DAY = 24 * 60 * 60
OWNER = "bench"
SAMPLE_SECONDS = 0.05
TAKEOVER_LIMIT_SECONDS = 600.0


def _server(root: Path, name: str, database_url: str, **env: str) -> LiveServer:
    return LiveServer(
        data_dir=root / name,
        database_url=database_url,
        extra_env={
            "BASSA_DOWNLOADS_DIR": str(root / "downloads"),
            "BASSA_ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/32",
            **env,
        },
    )


def _prepare(database: Engine) -> None:
    from bassa_server._db.models import User

    with database.begin() as connection:
        if connection.execute(select(User.user_name).where(User.user_name == OWNER)).first():
            return
        connection.execute(
            insert(User).values(user_name=OWNER, password_hash="-", email="bench@example.org")
        )


def _queue(database: Engine, link: str, **values: object) -> int:
    from bassa_server._db.models import Download

    with database.begin() as connection:
        result = connection.execute(
            insert(Download).values(
                link=link, user_name=OWNER, added_time=int(time.time()), **values
            )
        )
        return int(result.inserted_primary_key[0])


def _start_queue(database: Engine) -> None:
    from bassa_server._db.models import QueueState

    with database.begin() as connection:
        connection.execute(update(QueueState).where(QueueState.id == 1).values(state="running"))


def _row(database: Engine, download_id: int) -> tuple[int, str | None, int | None, int]:
    from bassa_server._db.models import Download

    with database.connect() as connection:
        row = connection.execute(
            select(
                Download.status,
                Download.claimed_by,
                Download.heartbeat_time,
                Download.completed_length,
            ).where(Download.id == download_id)
        ).one()
    return int(row[0]), row[1], row[2], int(row[3])


def heartbeat_gap(root: Path, database_url: str, files: FileServer, expired: int) -> None:
    """Print the sweep's length and the longest unrenewed stretch of a running claim."""
    from bassa_server._db.models import COMPLETED, Download

    server = _server(root, "sweeper", database_url, BASSA_RETENTION_DAYS="1")
    server.extra_env = {**server.extra_env, "BASSA_ENGINE": "0"}
    server.start()  # migrates; no engine yet
    server.stop()
    database = create_engine(server.database)
    _prepare(database)
    old = int(time.time()) - 10 * DAY
    row = {
        "link": "http://example.org/x",
        "user_name": OWNER,
        "added_time": old,
        "status": COMPLETED,
        "completed_time": old,
    }
    with database.begin() as connection:
        for start in range(0, expired, 10_000):
            connection.execute(insert(Download), [row] * min(10_000, expired - start))
    link = files.add("sweep.bin", os.urandom(4_000_000), bytes_per_second=20_000)
    download_id = _queue(database, link)
    _start_queue(database)
    server.extra_env = {**server.extra_env, "BASSA_ENGINE": "1"}
    server.start()
    started = time.monotonic()
    renewals: list[float] = []
    last_beat: int | None = None
    first_seen: float | None = None
    while True:
        with database.connect() as connection:
            left = connection.execute(
                select(Download.id)
                .where(Download.status == COMPLETED, Download.link == "http://example.org/x")
                .limit(1)
            ).first()
        _, _, beat, _ = _row(database, download_id)
        now = time.monotonic()
        if beat is not None and first_seen is None:
            first_seen = now
        if beat is not None and beat != last_beat:
            renewals.append(now)
            last_beat = beat
        if left is None:
            break
        time.sleep(SAMPLE_SECONDS)
    swept = time.monotonic() - started
    server.stop()
    database.dispose()
    moments = [first_seen or started, *renewals, time.monotonic()]
    gap = max(b - a for a, b in itertools.pairwise(moments))
    print(f"retention sweep of {expired} expired rows: {swept:6.1f} s")
    print(f"longest time the running download's claim went unrenewed: {gap:6.1f} s")


def takeover(root: Path, database_url: str, files: FileServer) -> None:
    """Print how long a SIGKILLed replica's download waits for another replica."""
    first = _server(root, "a", database_url)
    first.start()
    database = create_engine(first.database)
    _prepare(database)
    link = files.add("takeover.bin", os.urandom(20_000_000), bytes_per_second=100_000)
    download_id = _queue(database, link)
    _start_queue(database)
    deadline = time.monotonic() + 60
    while _row(database, download_id)[3] < 100_000 and time.monotonic() < deadline:
        time.sleep(SAMPLE_SECONDS)
    owner_a = _row(database, download_id)[1]
    second = _server(root, "b", first.database)
    second.start()
    assert first.process is not None
    first.process.kill()
    first.process.wait()
    killed = time.monotonic()
    claimed_at = resumed_at = None
    done_before = _row(database, download_id)[3]
    while time.monotonic() - killed < TAKEOVER_LIMIT_SECONDS:
        _, owner, _, done = _row(database, download_id)
        if claimed_at is None and owner not in (None, owner_a):
            claimed_at = time.monotonic() - killed
        if claimed_at is not None and done > done_before and owner not in (None, owner_a):
            resumed_at = time.monotonic() - killed
            break
        time.sleep(SAMPLE_SECONDS)
    second.stop()
    first.stop()
    database.dispose()
    print(f"kill -9 of the owner -> claimed by another replica: {claimed_at or 0:6.1f} s")
    print(f"kill -9 of the owner -> the download progresses again: {resumed_at or 0:6.1f} s")


def main() -> None:
    """Parse options and run both measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--expired", type=int, default=50_000, help="expired rows (50000)")
    parser.add_argument("--only", choices=("heartbeat", "takeover"), default=None)
    options = parser.parse_args()
    files = FileServer(host="127.0.0.2")
    files.start()
    try:
        with tempfile.TemporaryDirectory(prefix="bassa-replicas-") as raw:
            root = Path(raw)
            if options.only in (None, "heartbeat"):
                url = f"sqlite:///{root / 'sweep.db'}"
                heartbeat_gap(root / "sweep", url, files, options.expired)
            if options.only in (None, "takeover"):
                url = f"sqlite:///{root / 'takeover.db'}"
                takeover(root / "takeover", url, files)
    finally:
        files.stop()


if __name__ == "__main__":
    main()
