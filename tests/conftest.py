"""Session fixtures shared by every test folder: real Bassa servers on loopback.

`live_server` is one server for the whole session (tests must not assume an empty database);
`make_server` starts extra servers with their own settings (a short token lifetime, a quota),
stopped at the end of the session.

Databases: a test (or a fixture it uses) that asks for `database` runs once per database named
by `--databases` (default: sqlite, postgresql and mariadb); `database_servers` starts the
PostgreSQL and MariaDB servers on first use (tests/databases.py) and stops them at the end, and
`make_server(database="postgresql")` gives a server a fresh database on one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from tests.databases import ALL_DATABASES, SQLITE, DatabaseServer, start_database_server
from tests.live_server import LiveServer

# `file_server`: a loopback HTTP server with files for downloads to fetch
pytest_plugins = ["tests.file_server"]

MakeServer = Callable[..., LiveServer]


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--databases sqlite,postgresql,mariadb`: where the database-parametrised tests run."""
    parser.addoption(
        "--databases",
        default=",".join(ALL_DATABASES),
        help="comma-separated databases for tests that run on each (default: all three)",
    )


def selected_databases(config: pytest.Config) -> list[str]:
    """The databases `--databases` names, checked."""
    names = [name.strip() for name in str(config.getoption("--databases")).split(",") if name]
    unknown = sorted(set(names) - set(ALL_DATABASES))
    if unknown or not names:
        raise pytest.UsageError(f"--databases: choose among {', '.join(ALL_DATABASES)}")
    return names


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that depends on `database` once per selected database."""
    if "database" in metafunc.fixturenames:
        names = selected_databases(metafunc.config)
        metafunc.parametrize("database", names, indirect=True, scope="session")


@pytest.fixture(scope="session")
def database(request: pytest.FixtureRequest) -> str:
    """The database this run of the test uses: sqlite, postgresql or mariadb."""
    name: str = request.param
    return name


class DatabaseServers:
    """The session's PostgreSQL and MariaDB servers, each started on first use."""

    def __init__(self) -> None:
        self._servers: dict[str, DatabaseServer] = {}

    def new_database(self, name: str) -> str:
        """A fresh, empty database on `name`'s server ("" for SQLite: the data folder's file)."""
        if name == SQLITE:
            return ""
        if name not in self._servers:
            self._servers[name] = start_database_server(name)
        return self._servers[name].new_database()

    def stop(self) -> None:
        """Stop every server started."""
        for server in self._servers.values():
            server.stop()
        self._servers.clear()


@pytest.fixture(scope="session")
def database_servers() -> Iterator[DatabaseServers]:
    """The PostgreSQL and MariaDB servers of the session, stopped at its end."""
    servers = DatabaseServers()
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A Bassa server subprocess with a fresh data folder, stopped after the session."""
    server = LiveServer(data_dir=tmp_path_factory.mktemp("bassa-live"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def make_server(
    tmp_path_factory: pytest.TempPathFactory, database_servers: DatabaseServers
) -> Iterator[MakeServer]:
    """A factory of extra servers: `make_server(BASSA_TOKEN_TTL_SECONDS="1")`, all stopped later;
    `database="postgresql"` (or "mariadb") gives the server a fresh database there."""
    started: list[LiveServer] = []

    def make(
        env: Mapping[str, str] | None = None, *, database: str = SQLITE, **variables: str
    ) -> LiveServer:
        data_dir: Path = tmp_path_factory.mktemp("bassa-extra")
        server = LiveServer(
            data_dir=data_dir,
            extra_env={**(env or {}), **variables},
            database_url=database_servers.new_database(database),
        )
        started.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in started:
            server.stop()
