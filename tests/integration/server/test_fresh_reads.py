"""A list page is never older than the database, whoever wrote to it: on a shared database
another replica's commit shows in this replica's very next read (only a page's rendering is kept,
for rows equal to the ones it was made from), and reads that share a query only share one sent
after they came."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from bassa_server._async_reads import AsyncReads
from bassa_server._db.engine import make_engine
from bassa_server._db.models import Download
from bassa_server._prepared import PreparedRead
from tests.conftest import DatabaseServers, selected_databases
from tests.databases import MARIADB, POSTGRESQL
from tests.integration.server.helpers import database, make_user
from tests.live_server import LiveServer

pytestmark = pytest.mark.integration


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`shared_database` takes each selected server database (PostgreSQL, MariaDB)."""
    if "shared_database" in metafunc.fixturenames:
        names = [n for n in selected_databases(metafunc.config) if n in (POSTGRESQL, MARIADB)]
        metafunc.parametrize("shared_database", names)


def _own_names(server: LiveServer, token: str) -> list[str]:
    response = httpx.get(f"{server.url}/api/user/downloads/1", headers={"token": token})
    assert response.status_code == 200, response.text
    return [row["download_name"] for row in response.json()]


def test_a_commit_from_elsewhere_shows_in_the_next_page(server: LiveServer) -> None:
    """Rows another writer inserts or changes directly in the database appear in the very next
    list page, however often the page was read before."""
    user, token = make_user(server)
    assert _own_names(server, token) == []
    assert _own_names(server, token) == []
    now = int(time.time())
    with database(server).begin() as connection:
        download_id = connection.execute(
            insert(Download)
            .values(
                link="https://example.org/elsewhere.bin",
                user_name=user,
                download_name="elsewhere.bin",
                added_time=now,
                status=0,
                rating=0,
            )
            .returning(Download.id)
        ).scalar_one()
    assert _own_names(server, token) == ["elsewhere.bin"]
    assert _own_names(server, token) == ["elsewhere.bin"]
    with database(server).begin() as connection:
        connection.execute(
            update(Download).where(Download.id == download_id).values(download_name="renamed.bin")
        )
    assert _own_names(server, token) == ["renamed.bin"]


async def test_reads_coming_while_a_query_runs_share_the_next_query(
    shared_database: str, database_servers: DatabaseServers
) -> None:
    """A read asked for while the same read is already running does not take that query's rows
    (they may predate a commit the caller saw) but those of the next query, which every read
    that came meanwhile shares; one of them giving up does not take the rows from the others."""
    url = database_servers.new_database(shared_database)
    engine = make_engine(url)
    probe = Table("probe", MetaData(), Column("v", Integer))
    probe.create(engine)
    with engine.begin() as connection:
        connection.execute(insert(probe).values(v=1))
    # the query keeps the snapshot it started with while it sleeps
    sleep = func.pg_sleep if shared_database == POSTGRESQL else func.sleep
    slow = PreparedRead(select(probe.c.v, sleep(bindparam("pause"))))
    running = (
        "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep%' "
        "AND pid <> pg_backend_pid()"
        if shared_database == POSTGRESQL
        else "SELECT count(*) FROM information_schema.processlist "
        "WHERE info LIKE '%sleep(%' AND id <> connection_id()"
    )

    def started() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(text(running)).scalar_one())

    reads = AsyncReads(url, size=4, statement_timeout=10)
    try:
        first = asyncio.create_task(reads.all(slow, engine.dialect, {"pause": 0.5}))
        for _ in range(200):
            if await asyncio.to_thread(started):
                break
            await asyncio.sleep(0.01)
        else:
            raise AssertionError("the first read never reached the database")
        with engine.begin() as connection:  # committed before the next reads are asked for
            connection.execute(update(probe).values(v=2))
        later = [
            asyncio.create_task(reads.all(slow, engine.dialect, {"pause": 0.5})) for _ in range(3)
        ]
        await asyncio.sleep(0)
        later[1].cancel()
        first_rows = await first
        kept, gave_up, other = await asyncio.gather(*later, return_exceptions=True)
    finally:
        reads.close()
        engine.dispose()
    assert [row[0] for row in first_rows] == [1]
    assert isinstance(gave_up, asyncio.CancelledError)
    assert isinstance(kept, list) and [row[0] for row in kept] == [2]
    assert other is kept  # one query for both
