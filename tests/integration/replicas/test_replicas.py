"""Several replicas on one database: starting together, and sharing one downloads folder.

The start race runs on PostgreSQL and MariaDB (the databases replicas share; `--databases`
chooses among them): three replicas start at once on an empty database, ten times, and every
one must come up. The folder check runs on every database.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bassa_server._db.engine import make_engine
from bassa_server._db.migrate import current_revision, head_revision
from tests.conftest import DatabaseServers, selected_databases
from tests.databases import MARIADB, POSTGRESQL
from tests.integration.replicas._support import start_together, stop_all
from tests.live_server import LiveServer

REPLICAS = 3
# how many empty databases the replicas race on (override: BASSA_TEST_REPLICA_TRIALS)
TRIALS = int(os.environ.get("BASSA_TEST_REPLICA_TRIALS", "10"))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`shared_database` takes each selected server database (PostgreSQL, MariaDB)."""
    if "shared_database" in metafunc.fixturenames:
        names = [n for n in selected_databases(metafunc.config) if n in (POSTGRESQL, MARIADB)]
        metafunc.parametrize("shared_database", names)


def replicas(
    root: Path, database_url: str, downloads: Path, count: int = REPLICAS
) -> list[LiveServer]:
    """`count` replica definitions (not started) on one database and one downloads folder."""
    return [
        LiveServer(
            data_dir=root / f"replica{index}",
            database_url=database_url,
            extra_env={"BASSA_ENGINE": "0", "BASSA_DOWNLOADS_DIR": str(downloads)},
        )
        for index in range(count)
    ]


def test_replicas_starting_together_on_an_empty_database_all_come_up(
    shared_database: str, database_servers: DatabaseServers, tmp_path: Path
) -> None:
    """Three replicas started at the same moment on an empty database all become ready, in
    every one of the trials, and leave the schema at the newest revision."""
    outcomes = []
    for trial in range(TRIALS):
        url = database_servers.new_database(shared_database)
        started = replicas(tmp_path / f"trial{trial}", url, tmp_path / f"trial{trial}-files")
        try:
            failures = start_together(started)
        finally:
            stop_all(started)
        engine = make_engine(url)
        try:
            revision = current_revision(engine)
        finally:
            engine.dispose()
        outcomes.append((failures, revision))
    assert [failures for failures, _ in outcomes] == [[]] * TRIALS
    assert {revision for _, revision in outcomes} == {head_revision()}


def test_a_replica_with_another_downloads_folder_refuses_to_start(
    database: str, database_servers: DatabaseServers, tmp_path: Path
) -> None:
    """A second replica on the same database but with a downloads folder of its own stops at
    start with the reason in its log; one given the shared folder starts."""
    url = database_servers.new_database(database) or f"sqlite:///{tmp_path / 'shared.db'}"
    shared = tmp_path / "shared-files"
    first, same_folder = replicas(tmp_path / "a", url, shared, count=2)
    other_folder = replicas(tmp_path / "b", url, tmp_path / "own-files", count=1)[0]
    try:
        first.start()
        with pytest.raises(RuntimeError, match="exited with status"):
            other_folder.start()
        assert "must share one downloads folder" in other_folder.log()
        assert str(tmp_path / "own-files") in other_folder.log()
        same_folder.start()
    finally:
        for server in (first, same_folder, other_folder):
            server.stop()
