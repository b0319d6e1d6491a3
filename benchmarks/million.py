"""Every endpoint's cost at 100 rows and at 1,000,000 rows, on SQLite, PostgreSQL and MariaDB.

For each database, two fresh databases are seeded by bulk insert (batched `executemany`, not
HTTP): a small one (100 downloads over 100 users) and a large one (`--rows` downloads, default
1,000,000, over `--users` users, default 10,000). One user (`bench`) owns 5% of the rows, 75% of
all downloads are completed, spread over the last 90 days, so the 30-day window of the heavy
users holds a quarter of the table. A real server runs on each (engine off), both at once, and
wrk measures every read endpoint, and adding a download, at `--connections` connections: req/s
and p99, with the ratio small/large (the goal: at most 1.5x for every endpoint). The machine's
speed drifts by a third from one minute to the next, so each endpoint is measured in `--rounds`
rounds of one run on each server in turn, and the ratio printed is the median of the rounds'
ratios, with their range beside it.

Deep pages: the legacy `{page}` lists are measured at page 1 and at the deepest page the served
spec allows (its `Page` maximum) or the last page, whichever comes first; when the server sends
`Bassa-Next-Cursor`, the same lists are also read through a cursor at the depth of their last
page (the position of the bench user's oldest download, the shared library's oldest row).

The legacy user lists answer at most 100 users (one default page), so at 100 users against
10,000 the blocked users and sign-up requests return fuller pages (1 and 2 rows against 100), not
more work per row; `users, 50 a page` and the lists at `1 a page` compare equal pages.

After the bulk load, each database is brought to the state of one that has run a while before it
is measured: SQLite's WAL folded into the file, PostgreSQL vacuumed and analyzed (what
autovacuum would otherwise do during the first measurements), MariaDB's tables analyzed. The
database servers get a page cache that holds the table and its indexes (`--cache-mib`, 1 GiB;
docs/deploy.md, sizing): with the test suite's 64 MiB buffer pool, MariaDB reads most pages of a
million-row table from the operating system's cache instead.

Usage: .venv/bin/python benchmarks/million.py [--database sqlite --database postgresql]
       [--rows 100000] [--seconds 2] [--rounds 5] [--endpoint heavy --endpoint queue]
Needs wrk. `tests/databases.py` starts the throwaway PostgreSQL and MariaDB. Not a test.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from server import Endpoint, Result, wrk  # noqa: E402
from sqlalchemy import Connection, insert  # noqa: E402

from bassa_server._auth import hash_password  # noqa: E402
from bassa_server._db.engine import make_engine  # noqa: E402
from bassa_server._db.models import Download, User  # noqa: E402
from tests.databases import ALL_DATABASES, SQLITE, DatabaseServer, start_database_server  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

BENCH, ADDER, PASSWORD = "bench", "adder", "bench-password-1"
SMALL_ROWS, SMALL_USERS = 100, 100
DAY = 24 * 60 * 60
BATCH = 10_000
PAGE_SIZE = 15
CURSOR_HEADER = "bassa-next-cursor"
# status codes (spec): 0 queued, 1 started, 2 deleted, 3 completed, 4 error
STATUS_CYCLE = (3,) * 15 + (0, 0, 4, 2, 1)  # 75% completed, 10% queued, 5% each of the rest


@dataclass(frozen=True)
class Seeded:
    """What the benchmark needs to know about a seeded database."""

    rows: int
    bench_rows: int
    completed_rows: int
    downloads_mib: float


def _users(count: int, password_hash: str, now: int) -> Iterator[dict[str, Any]]:
    for i in range(count):
        name = BENCH if i == 0 else ADDER if i == 1 else f"user{i:06d}"
        yield {
            "user_name": name,
            "password_hash": password_hash,
            "auth": 1,
            "email": f"{name}@example.org",
            # 2% waiting for approval, 1% blocked
            "approved": i < 2 or i % 50 != 0,
            "blocked": i >= 2 and i % 100 == 1,
            "created_at": now,
            "session_stamp": f"{i:032x}",
        }


def _downloads(rows: int, users: int, now: int) -> Iterator[dict[str, Any]]:
    bench_every = 20  # 5% of the rows are the bench user's
    for i in range(rows):
        owner = BENCH if i % bench_every == 0 else f"user{2 + i % (users - 2):06d}"
        status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
        done = status in (2, 3)
        completed = now - (i * 7919 % (90 * DAY)) if done else 0
        size = 1_000 + (i * 104_729) % 50_000_000
        yield {
            "link": f"https://example.org/files/{i}.bin",
            "user_name": owner,
            "download_name": f"{i}.bin",
            "added_time": now - rows + i - 90 * DAY,
            "status": status,
            "rating": i % 6,
            "gid": f"{i:016x}" if status != 0 else None,
            "completed_time": completed,
            "size": size if status != 0 else 0,
            "path": f"{i}/{i}.bin" if done else None,
            "completed_length": size if done else 0,
            "download_speed": 0,
            "error": "seeded failure" if status == 4 else None,
        }


def seed(database_url: str, rows: int, users: int) -> Seeded:
    """Bulk-insert `users` users and `rows` downloads; what was seeded."""
    now = int(time.time())
    password_hash = hash_password(PASSWORD)
    engine = make_engine(database_url)
    try:
        for table, source in (
            (User, _users(users, password_hash, now)),
            (Download, _downloads(rows, users, now)),
        ):
            batch: list[dict[str, Any]] = []
            for row in source:
                batch.append(row)
                if len(batch) == BATCH:
                    with engine.begin() as connection:
                        connection.execute(insert(table), batch)
                    batch = []
            if batch:
                with engine.begin() as connection:
                    connection.execute(insert(table), batch)
        # as on a server that has run a while, not one measured while it digests a bulk load
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if engine.dialect.name == "sqlite":
                # a fresh bulk load leaves hundreds of MB of WAL that every read would look
                # pages up in
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            elif engine.dialect.name == "postgresql":
                # autovacuum would otherwise vacuum and analyze the million new rows during the
                # first measurements (and until then index-only scans visit the table)
                connection.exec_driver_sql("VACUUM (ANALYZE)")
            else:
                connection.exec_driver_sql("ANALYZE TABLE downloads, users")
            mib = _downloads_mib(connection)
    finally:
        engine.dispose()
    statuses = [STATUS_CYCLE[i % len(STATUS_CYCLE)] for i in range(rows)]
    return Seeded(rows, len(range(0, rows, 20)), statuses.count(3), mib)


def _downloads_mib(connection: Connection) -> float:
    """The size of the `downloads` table with its indexes, in MiB."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        size = connection.exec_driver_sql(
            "SELECT sum(pgsize) FROM dbstat WHERE name = 'downloads' OR name IN "
            "(SELECT name FROM sqlite_master WHERE tbl_name = 'downloads')"
        ).scalar()
    elif dialect == "postgresql":
        size = connection.exec_driver_sql("SELECT pg_total_relation_size('downloads')").scalar()
    else:
        size = connection.exec_driver_sql(
            "SELECT data_length + index_length FROM information_schema.tables "
            "WHERE table_schema = DATABASE() AND table_name = 'downloads'"
        ).scalar()
    return int(size or 0) / 2**20


def page_maximum() -> int:
    """The deepest legacy page the spec (of this checkout) allows."""
    spec = yaml.safe_load((ROOT / "openapi" / "bassa.yaml").read_text())
    return int(spec["components"]["parameters"]["Page"]["schema"]["maximum"])


def login(url: str, user: str, password: str) -> str:
    """A session token."""
    response = httpx.post(f"{url}/api/login", data={"user_name": user, "password": password})
    response.raise_for_status()
    return response.headers["token"]


def cursor_at(url: str, path: str, token: str, rows: int, deepest: int) -> str | None:
    """A cursor whose page starts near row `rows - 15` of a list, by hopping `deepest` pages at
    a time (None when the server offers no cursors)."""
    headers = {"token": token}
    response = httpx.get(f"{url}{path}/1", headers=headers, timeout=60)
    cursor: str | None = response.headers.get(CURSOR_HEADER)
    position = PAGE_SIZE
    while cursor is not None and position + PAGE_SIZE < rows:
        pages = max(1, min(deepest, (rows - position - PAGE_SIZE) // PAGE_SIZE))
        response = httpx.get(
            f"{url}{path}/{pages}", params={"cursor": cursor}, headers=headers, timeout=60
        )
        response.raise_for_status()
        cursor = response.headers.get(CURSOR_HEADER)
        position += pages * PAGE_SIZE
    return cursor


def plan(url: str, seeded: Seeded, admin: str, bench: str) -> list[tuple[Endpoint, str]]:
    """The endpoints to measure on one server, each with its token."""
    deepest = page_maximum()
    own_last = (seeded.bench_rows + PAGE_SIZE - 1) // PAGE_SIZE
    completed_last = (seeded.completed_rows + PAGE_SIZE - 1) // PAGE_SIZE
    own_deep, completed_deep = min(own_last, deepest), min(completed_last, deepest)
    adder = login(url, ADDER, PASSWORD)
    added = httpx.post(
        f"{url}/api/download", json={"link": "https://example.org/a.bin"}, headers={"token": adder}
    )
    added.raise_for_status()
    endpoints = [
        (Endpoint("own page 1", "GET", "/api/user/downloads/1", token=True), bench),
        (Endpoint("own page deep", "GET", f"/api/user/downloads/{own_deep}", token=True), bench),
        (Endpoint("completed page 1", "GET", "/api/downloads/1", token=True), bench),
        (
            Endpoint("completed page deep", "GET", f"/api/downloads/{completed_deep}", token=True),
            bench,
        ),
    ]
    own_cursor = cursor_at(url, "/api/user/downloads", bench, seeded.bench_rows, deepest)
    completed_cursor = cursor_at(url, "/api/downloads", bench, seeded.completed_rows, deepest)
    if own_cursor is not None:
        path = f"/api/user/downloads/1?cursor={own_cursor}"
        endpoints.append((Endpoint("own by cursor, last", "GET", path, token=True), bench))
    if completed_cursor is not None:
        path = f"/api/downloads/1?cursor={completed_cursor}"
        endpoints.append((Endpoint("completed by cursor, last", "GET", path, token=True), bench))
    endpoints += [
        (Endpoint("users", "GET", "/api/user", token=True), admin),
        (Endpoint("users, 50 a page", "GET", "/api/user?limit=50", token=True), admin),
        (Endpoint("blocked users", "GET", "/api/user/blocked", token=True), admin),
        (
            Endpoint("blocked users, 1 a page", "GET", "/api/user/blocked?limit=1", token=True),
            admin,
        ),
        (Endpoint("signup requests", "GET", "/api/user/requests", token=True), admin),
        (
            Endpoint("signup requests, 1 a page", "GET", "/api/user/requests?limit=1", token=True),
            admin,
        ),
        (Endpoint("heavy users", "GET", "/api/user/heavy", token=True), admin),
        (Endpoint("queue", "GET", "/api/queue", token=True), bench),
        (
            Endpoint(
                "download status", "GET", f"/api/download/{added.json()['id']}/status", token=True
            ),
            adder,
        ),
        (Endpoint("metrics", "GET", "/metrics"), ""),
        (
            Endpoint(
                "add download",
                "POST",
                "/api/download",
                '{"link": "https://example.org/b.bin"}',
                "application/json",
                token=True,
            ),
            adder,
        ),
    ]
    return endpoints


@dataclass(frozen=True)
class Compared:
    """One endpoint measured on both databases in alternating rounds."""

    small: Result  # the median round on the small database
    large: Result
    ratios: list[float]  # small req/s / large req/s, one per round

    @property
    def ratio(self) -> float:
        """The median round's ratio."""
        return statistics.median(self.ratios)


def _median(results: list[Result]) -> Result:
    """The round with the median req/s."""
    return sorted(results, key=lambda result: result.rps)[len(results) // 2]


def compare(
    small: tuple[str, dict[str, tuple[Endpoint, str]]],
    large: tuple[str, dict[str, tuple[Endpoint, str]]],
    args: argparse.Namespace,
) -> dict[str, Compared]:
    """wrk on each endpoint of the large server and its counterpart on the small one, one run
    on each in turn for `--rounds` rounds (after a one-second warm-up of each; the first of
    the pair alternates), so both sides of a ratio see the machine as it was in that minute;
    with `--endpoint`, only the endpoints whose name contains one of its words."""
    (small_url, small_plan), (large_url, large_plan) = small, large
    # a list short enough to end on page 1 gives no cursor: its page 1 is what a cursor's page
    # at depth is compared with
    same = {"own by cursor, last": "own page 1", "completed by cursor, last": "completed page 1"}
    compared = {}
    for name, (endpoint, token) in large_plan.items():
        if args.endpoint and not any(word in name for word in args.endpoint):
            continue
        counterpart = small_plan.get(name) or small_plan.get(same.get(name, name))
        if counterpart is None:
            continue
        sides = ((small_url, *counterpart), (large_url, endpoint, token))
        for url, measured, its_token in sides:
            wrk(url, measured, its_token, args.connections, 1)
        rounds: tuple[list[Result], list[Result]] = ([], [])
        for round_number in range(args.rounds):
            order = (0, 1) if round_number % 2 == 0 else (1, 0)
            for side in order:
                url, measured, its_token = sides[side]
                rounds[side].append(wrk(url, measured, its_token, args.connections, args.seconds))
        ratios = [
            little.rps / big.rps if big.rps else float("inf")
            for little, big in zip(*rounds, strict=True)
        ]
        compared[name] = Compared(_median(rounds[0]), _median(rounds[1]), ratios)
    return compared


def run_database(name: str, urls: tuple[str, str], args: argparse.Namespace) -> dict[str, Compared]:
    """Seed the small and the large database, each with a server of its own, and compare."""
    work = Path(tempfile.mkdtemp(prefix="bassa-million-"))
    quiet = {"BASSA_ENGINE": "0", "BASSA_QUOTA_BYTES": str(10**18)}
    servers: list[LiveServer] = []
    plans: list[tuple[str, dict[str, tuple[Endpoint, str]]]] = []
    try:
        for label, url, rows, users in (
            ("small", urls[0], SMALL_ROWS, SMALL_USERS),
            ("large", urls[1], args.rows, args.users),
        ):
            server = LiveServer(data_dir=work / label, extra_env=quiet, database_url=url)
            servers.append(server)
            server.start()
            started = time.monotonic()
            seeded = seed(server.database, rows, users)
            print(
                f"   {name}: seeded {rows:,} downloads over {users:,} users "
                f"in {time.monotonic() - started:.0f} s ({seeded.downloads_mib:.0f} MiB with "
                "its indexes)",
                flush=True,
            )
            admin = login(server.url, server.admin_user, server.admin_password)
            bench = login(server.url, BENCH, PASSWORD)
            endpoints = plan(server.url, seeded, admin, bench)
            plans.append(
                (server.url, {endpoint.name: (endpoint, token) for endpoint, token in endpoints})
            )
        return compare(plans[0], plans[1], args)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def report(name: str, rows: int, table: dict[str, Compared]) -> None:
    """Print one database's table."""
    print(f"\n== {name}: 100 rows vs {rows:,} rows (medians of the rounds)")
    print(
        f"{'endpoint':<26} {'req/s 100':>10} {'p99 ms':>8} {'req/s big':>10} {'p99 ms':>8} "
        f"{'ratio':>7} {'rounds':>11} {'non-2xx':>8}  goal <= 1.5x"
    )
    for key, compared in table.items():
        small, large = compared.small, compared.large
        spread = f"{min(compared.ratios):.2f}-{max(compared.ratios):.2f}"
        print(
            f"{key:<26} {small.rps:>10.0f} {small.p99_ms:>8.2f} {large.rps:>10.0f} "
            f"{large.p99_ms:>8.2f} {compared.ratio:>6.2f}x {spread:>11} "
            f"{small.errors:>3}/{large.errors:<4}  {'met' if compared.ratio <= 1.5 else 'MISSED'}",
            flush=True,
        )


def main() -> None:
    """Run every database given (default: all three) and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", choices=ALL_DATABASES)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=2, help="duration of each wrk run")
    parser.add_argument(
        "--rounds", type=int, default=5, help="alternating runs on each database per endpoint"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--cache-mib",
        type=int,
        default=1024,
        help="PostgreSQL's shared_buffers and MariaDB's buffer pool (the suite's are 128 and 64)",
    )
    parser.add_argument(
        "--endpoint", action="append", help="measure only endpoints whose name contains this"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk, or scripts/setup)")
    for name in args.database or list(ALL_DATABASES):
        started: DatabaseServer | None = None
        try:
            urls = ("", "")
            if name != SQLITE:
                started = start_database_server(name, args.cache_mib)
                urls = (started.new_database(), started.new_database())
            report(name, args.rows, run_database(name, urls, args))
        finally:
            if started is not None:
                started.stop()


if __name__ == "__main__":
    main()
