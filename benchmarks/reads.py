"""The event loop's CPU for one list-page read on PostgreSQL or MariaDB, by driver, in one run.

The server's request reads on a server database run on its one event loop, which bounds a
replica's pages per second when pages differ (one per user) and cannot share a query. This seeds
32 users with 100 downloads each into a throwaway database (tests/databases.py) and times
`--reads` reads of a user's own page 1 (15 rows), users taking turns, as CPU time of this process
per read: one read at a time and 32 at once over 5 connections. Rounds alternate; medians are
printed with their ratio to the baseline, the server's read before:

- PostgreSQL (`--database postgresql`, the default): psycopg's `AsyncConnection` (baseline)
  against asyncpg alone, through the same compiled statement;
- MariaDB (`--database mariadb`): asyncmy given named values (baseline: sent as text with the
  values escaped into it) against asyncmy given positional values (a server-side prepared
  statement, binary rows);

and in both the server's `AsyncReads` (the driver, its connection count and the shared-query
bookkeeping).

Usage: .venv/bin/python benchmarks/reads.py [--database mariadb] [--reads 3000] [--rounds 3]
Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncmy  # noqa: E402
import asyncpg  # noqa: E402
import psycopg  # noqa: E402
from sqlalchemy import insert  # noqa: E402
from sqlalchemy.engine import Engine, make_url  # noqa: E402

from bassa_server._async_reads import _ASYNCPG, STATEMENT_CACHE_SIZE, AsyncReads  # noqa: E402
from bassa_server._db.engine import make_engine  # noqa: E402
from bassa_server._db.migrate import upgrade  # noqa: E402
from bassa_server._db.models import Download, User  # noqa: E402
from bassa_server._handlers.downloads import _OWN_PAGES  # noqa: E402
from tests.databases import MARIADB, POSTGRESQL, start_database_server  # noqa: E402

USERS, ROWS, CONNECTIONS, AT_ONCE = 32, 100, 5, 32
READ = _OWN_PAGES.first

Read = Callable[[int, Any], Awaitable[list[tuple[Any, ...]]]]


def seed(engine: Engine) -> None:
    """USERS users with ROWS completed downloads each."""
    with engine.begin() as connection:
        connection.execute(
            insert(User),
            [
                {"user_name": f"u{n}", "password_hash": "-", "email": f"u{n}@example.org"}
                for n in range(USERS)
            ],
        )
        connection.execute(
            insert(Download),
            [
                {
                    "link": f"https://example.org/{n}/{i}.bin",
                    "user_name": f"u{n}",
                    "download_name": f"{i}.bin",
                    "added_time": 1_000 + i,
                    "status": 3,
                    "rating": 0,
                    "gid": f"{n * ROWS + i:016x}",
                    "completed_time": 2_000 + i,
                    "size": 1_000,
                    "path": f"{i}.bin",
                    "completed_length": 1_000,
                    "download_speed": 0,
                }
                for n in range(USERS)
                for i in range(ROWS)
            ],
        )


async def cpu_per_read(read: Read, connections: list[Any], reads: int) -> tuple[float, float]:
    """µs of CPU a read: one at a time, then AT_ONCE at once over the connections."""
    started = time.process_time()
    for number in range(reads):
        await read(number, connections[0])
    one = (time.process_time() - started) / reads * 1e6
    free = list(connections)
    limit = asyncio.Semaphore(len(connections))

    async def each(number: int) -> None:
        async with limit:
            connection = free.pop()
            try:
                await read(number, connection)
            finally:
                free.append(connection)

    started = time.process_time()
    for first in range(0, reads, AT_ONCE):
        await asyncio.gather(*(each(n) for n in range(first, first + AT_ONCE)))
    return one, (time.process_time() - started) / (reads // AT_ONCE * AT_ONCE) * 1e6


async def postgresql_ways(url: str, engine: Engine) -> dict[str, tuple[Read, list[Any]]]:
    """psycopg (the baseline) and asyncpg, each on its own connections."""
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    dialect = engine.dialect

    async def with_psycopg(number: int, connection: Any) -> list[tuple[Any, ...]]:
        return await READ.all_async(connection, dialect, user_name=f"u{number % USERS}")

    async def with_asyncpg(number: int, connection: Any) -> list[tuple[Any, ...]]:
        sql, arguments = READ.bound(_ASYNCPG, {"user_name": f"u{number % USERS}"})
        return [tuple(row) for row in await connection.fetch(sql, *arguments)]

    return {
        "psycopg AsyncConnection (baseline)": (
            with_psycopg,
            [
                await psycopg.AsyncConnection.connect(conninfo, autocommit=True)
                for _ in range(CONNECTIONS)
            ],
        ),
        "asyncpg": (with_asyncpg, [await asyncpg.connect(conninfo) for _ in range(CONNECTIONS)]),
    }


async def mariadb_ways(url: str, engine: Engine) -> dict[str, tuple[Read, list[Any]]]:
    """asyncmy given named values (the baseline) and positional ones, on the same connections."""
    address = make_url(url)
    connections = [
        await asyncmy.connect(
            host=address.host,
            port=address.port,
            user=address.username,
            password=address.password or "",
            database=address.database,
            charset="utf8mb4",
            autocommit=True,
            stmt_cache_size=STATEMENT_CACHE_SIZE,
        )
        for _ in range(CONNECTIONS)
    ]
    named = engine.dialect
    positional = AsyncReads(url, 1, 0)._positional(named)

    async def with_named(number: int, connection: Any) -> list[tuple[Any, ...]]:
        return await READ.all_async(connection, named, user_name=f"u{number % USERS}")

    async def with_positional(number: int, connection: Any) -> list[tuple[Any, ...]]:
        return await READ.all_async(connection, positional, user_name=f"u{number % USERS}")

    return {
        "asyncmy, named values (baseline)": (with_named, connections),
        "asyncmy, positional values": (with_positional, connections),
    }


async def measure(database: str, url: str, engine: Engine, reads: int, rounds: int) -> None:
    ways = await (postgresql_ways if database == POSTGRESQL else mariadb_ways)(url, engine)
    server = AsyncReads(url, CONNECTIONS, statement_timeout=5)

    async def with_server(number: int, _connection: Any) -> list[tuple[Any, ...]]:
        return await server.all(READ, engine.dialect, {"user_name": f"u{number % USERS}"})

    ways["AsyncReads (the server's path)"] = (with_server, [None] * CONNECTIONS)
    results = [await read(1, connections[0]) for read, connections in ways.values()]
    assert all(rows == results[0] for rows in results), "the ways read different rows"
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in ways}
    try:
        for _ in range(rounds):
            for name, (read, connections) in ways.items():
                figures[name].append(await cpu_per_read(read, connections, reads))
    finally:
        closed = set()
        for _, connections in ways.values():
            for connection in connections:
                if connection is not None and id(connection) not in closed:
                    closed.add(id(connection))
                    await _close(connection)
        server.close()
    base_one, base_many = (
        statistics.median(f[i] for f in figures[next(iter(ways))]) for i in (0, 1)
    )
    print(
        f"{'µs of CPU a read (medians)':<36} {'one at a time':>14} {'32 at once':>11} {'ratio':>13}"
    )
    for name, runs in figures.items():
        one = statistics.median(run[0] for run in runs)
        many = statistics.median(run[1] for run in runs)
        print(
            f"{name:<36} {one:>14.0f} {many:>11.0f} {one / base_one:>6.2f}x/{many / base_many:.2f}x"
        )


async def _close(connection: Any) -> None:
    outcome = connection.close()
    if asyncio.iscoroutine(outcome):  # psycopg's and asyncpg's; asyncmy closes at once
        await outcome


def main() -> None:
    """Seed, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=(POSTGRESQL, MARIADB), default=POSTGRESQL)
    parser.add_argument("--reads", type=int, default=3000, help="reads a measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    args = parser.parse_args()
    server = start_database_server(args.database)
    try:
        url = server.new_database()
        engine = make_engine(url)
        try:
            upgrade(engine)
            seed(engine)
            asyncio.run(measure(args.database, url, engine, args.reads, args.rounds))
        finally:
            engine.dispose()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
