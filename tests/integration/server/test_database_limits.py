"""Statement time limits and readiness under a busy database, on SQLite, PostgreSQL and MariaDB.

A statement that runs past its limit ends with an error instead of holding its connection (the
engine factory, against the real databases), and through the API it ends as a JSON error, not a
hang. Readiness checks the database on a connection of its own: it answers while every request
connection waits behind a lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bassa_server._db.engine import is_statement_timeout, make_engine
from tests.conftest import DatabaseServers, MakeServer
from tests.databases import MARIADB, POSTGRESQL, SQLITE
from tests.live_server import ADMIN_PASSWORD, ADMIN_USER, LiveServer
from tests.waiting import wait_for

pytestmark = pytest.mark.integration

# a statement that runs far longer than any limit below (SQLite: counts until interrupted)
SLOW_STATEMENT = {
    POSTGRESQL: "SELECT pg_sleep(30)",
    MARIADB: "SELECT SLEEP(30)",
    SQLITE: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n",
}
# how long a stopped statement may take to come back on a loaded machine: well under its 30 s
ENDED_WITHIN_SECONDS = 10.0


def _url(database: str, database_servers: DatabaseServers, tmp_path: Path) -> str:
    return database_servers.new_database(database) or f"sqlite:///{tmp_path / 'limits.db'}"


def test_a_statement_past_its_limit_ends_with_a_timeout_error(
    database: str, database_servers: DatabaseServers, tmp_path: Path
) -> None:
    """A statement running past the engine's statement timeout is stopped by the database and
    raises an error recognised as a timeout, long before it would have finished."""
    engine = make_engine(_url(database, database_servers, tmp_path), statement_timeout=0.5)
    try:
        started = time.monotonic()
        with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
            connection.execute(text(SLOW_STATEMENT[database])).all()
        elapsed = time.monotonic() - started
    finally:
        engine.dispose()
    assert is_statement_timeout(raised.value), raised.value
    assert elapsed < ENDED_WITHIN_SECONDS


def test_without_a_limit_a_statement_runs_to_its_end(
    database: str, database_servers: DatabaseServers, tmp_path: Path
) -> None:
    """An engine without a statement timeout (migrations, `bassa-server migrate`) lets a
    statement run longer than the request limit."""
    quick = {
        POSTGRESQL: "SELECT pg_sleep(1.2)",
        MARIADB: "SELECT SLEEP(1.2)",
        SQLITE: "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
        " SELECT max(i) FROM n",
    }
    engine = make_engine(_url(database, database_servers, tmp_path))
    limited = make_engine(engine.url.render_as_string(hide_password=False), statement_timeout=1)
    try:
        with engine.connect() as connection:
            connection.execute(text(quick[database])).all()
        with limited.connect() as connection:  # a connection that has a limit still works
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()
        limited.dispose()


@contextlib.contextmanager
def downloads_locked(database: str, url: str) -> Iterator[None]:
    """Hold a lock that makes every request touching the downloads table wait (on SQLite, the
    write lock: reads go on, writes wait)."""
    if database == SQLITE:
        holder = sqlite3.connect(str(make_url(url).database), isolation_level=None)
        try:
            holder.execute("BEGIN IMMEDIATE")
            yield
        finally:
            holder.close()
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if database == POSTGRESQL:
                connection.exec_driver_sql("LOCK TABLE downloads IN ACCESS EXCLUSIVE MODE")
                yield
                connection.rollback()
            else:
                connection.exec_driver_sql("LOCK TABLES downloads WRITE")
                try:
                    yield
                finally:
                    connection.exec_driver_sql("UNLOCK TABLES")
    finally:
        engine.dispose()


def _token(server: LiveServer) -> str:
    response = httpx.post(
        f"{server.url}/api/login", data={"user_name": ADMIN_USER, "password": ADMIN_PASSWORD}
    )
    response.raise_for_status()
    return response.headers["token"]


def _in_flight(server: LiveServer) -> float:
    metrics = httpx.get(f"{server.url}/metrics", timeout=10).text
    for line in metrics.splitlines():
        if line.startswith("bassa_http_requests_in_flight "):
            return float(line.split()[1])
    raise AssertionError("bassa_http_requests_in_flight missing")


def _add(server: LiveServer, token: str, number: int) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/download",
        json={"link": f"https://example.org/limits-{number}.bin"},
        headers={"token": token},
        timeout=60,
    )


def _list(server: LiveServer, token: str, _number: int) -> httpx.Response:
    return httpx.get(f"{server.url}/api/downloads/1", headers={"token": token}, timeout=60)


def test_a_request_waiting_past_the_limit_ends_with_a_json_error(
    database: str, make_server: MakeServer
) -> None:
    """A request whose statement waits behind a lock longer than BASSA_DB_STATEMENT_TIMEOUT
    ends with a JSON error response instead of hanging, and the server serves again after."""
    server = make_server(database=database, BASSA_ENGINE="0", BASSA_DB_STATEMENT_TIMEOUT="1")
    token = _token(server)
    # a write waits on every database; a list page (read on the event loop's own connections on
    # a server database) waits there too, and on SQLite never waits for the writer
    requests = [_add] if database == SQLITE else [_add, _list]
    for request in requests:
        with downloads_locked(database, server.database):
            started = time.monotonic()
            response = request(server, token, 0)
            elapsed = time.monotonic() - started
        assert response.status_code == 500, request.__name__
        assert response.json() == {"error": "internal server error"}
        assert elapsed < ENDED_WITHIN_SECONDS
    assert _add(server, token, 1).status_code == 200
    assert _list(server, token, 1).status_code == 200


def test_readiness_answers_while_every_request_connection_waits(
    database: str, make_server: MakeServer
) -> None:
    """With every request connection (and more requests queued) waiting behind a lock, the
    readiness probe still answers "ready" within a second, and the waiting requests complete
    once the lock goes."""
    server = make_server(
        database=database,
        BASSA_ENGINE="0",
        BASSA_DB_POOL_SIZE="2",
        BASSA_DB_STATEMENT_TIMEOUT="60",
    )
    token = _token(server)
    waiting = 8
    # writes wait on every database; on a server database the list pages wait too (on SQLite,
    # readers never wait for the writer)
    requests = [_add if number % 2 or database == SQLITE else _list for number in range(waiting)]
    with ThreadPoolExecutor(waiting) as pool:
        with downloads_locked(database, server.database):
            futures = [pool.submit(request, server, token, n) for n, request in enumerate(requests)]
            # the waiting requests and the metrics request itself
            wait_for(lambda: _in_flight(server) >= waiting + 1, what="the requests waiting")
            started = time.monotonic()
            ready = httpx.get(f"{server.url}/api/ready", timeout=10)
            elapsed = time.monotonic() - started
            still_waiting = sum(not future.done() for future in futures)
        answers = [future.result(timeout=60) for future in futures]
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["database"] == "ok"
    assert elapsed < 1.5
    assert still_waiting == waiting
    assert [answer.status_code for answer in answers] == [200] * waiting


def test_other_reads_go_on_after_the_list_pages_kept_every_read_connection(
    database: str, make_server: MakeServer
) -> None:
    """After more list requests than the pool has connections ran at once, a login (a read of
    another kind) and a page still answer at once."""
    server = make_server(database=database, BASSA_ENGINE="0", BASSA_DB_POOL_SIZE="2")
    token = _token(server)
    with ThreadPoolExecutor(16) as pool:
        pages = list(pool.map(lambda number: _list(server, token, number), range(64)))
    assert {page.status_code for page in pages} == {200}
    started = time.monotonic()
    assert _token(server)
    assert _list(server, token, 0).status_code == 200
    assert time.monotonic() - started < 5.0
