"""Throwaway PostgreSQL and MariaDB servers for tests, started from the Debian packages.

Each server gets its own data folder under a temporary directory, listens on a free 127.0.0.1
port and on a unix socket in that directory, runs with durability off (tests never need a crash
to keep their rows) and is stopped by `stop()`: the machine's own database services are never
started or touched. Both servers refuse to run as root, so when the tests run as root they run
as the package's system user (`postgres`, `mysql`), which then owns the temporary directory.

`new_database()` creates an empty database and returns its SQLAlchemy URL: every Bassa server a
test starts gets a database of its own, as it gets a data folder of its own.
"""

from __future__ import annotations

import abc
import itertools
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

import psycopg
import pymysql  # type: ignore[import-untyped]
from psycopg import sql

from tests.live_server import free_port
from tests.waiting import wait_for

START_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 30.0
# the names `--databases` accepts; SQLite needs no server
SQLITE, POSTGRESQL, MARIADB = "sqlite", "postgresql", "mariadb"
ALL_DATABASES = (SQLITE, POSTGRESQL, MARIADB)
# generous: several Bassa servers (a pool each) and the replica tests share one database server
MAX_CONNECTIONS = 400
_numbers = itertools.count(1)


class DatabaseServer(Protocol):
    """A database server a test session started."""

    name: str

    def start(self) -> None:
        """Initialise the data folder, start the server, wait (bounded) until it answers."""

    def stop(self) -> None:
        """Stop the server and remove its data."""

    def new_database(self) -> str:
        """An empty database; its SQLAlchemy URL."""


def _run_as(user: str) -> dict[str, object]:
    """`subprocess` arguments that run a child as `user` when the tests run as root."""
    if os.geteuid() != 0:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def _find(program: str, *folders: str) -> str:
    found = shutil.which(program)
    for folder in folders:
        candidate = Path(folder) / program
        if found is None and candidate.is_file():
            found = str(candidate)
    if found is None:
        raise RuntimeError(f"{program} not found: run scripts/setup (it installs the database)")
    return found


def _postgres_bin() -> str:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    return str(versions[0]) if versions else "/usr/lib/postgresql/bin"


class _Server(abc.ABC):
    name = ""
    system_user = ""

    def __init__(self, cache_mib: int | None = None) -> None:
        # the database's own page cache (shared_buffers, the InnoDB buffer pool): small for the
        # suite's many short-lived databases unless a benchmark sizes it for its data
        self.cache_mib = cache_mib
        self.root = Path(tempfile.mkdtemp(prefix=f"bassa-{self.name}-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.run_as = _run_as(self.system_user)
        if self.run_as:
            os.chown(self.root, self.run_as["user"], self.run_as["group"])  # type: ignore[arg-type]
        self.log_path = self.root / "server.log"

    def _spawn(self, command: list[str]) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                **self.run_as,  # type: ignore[call-overload]
            )

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.log()}")
        try:
            self._ping()
        except Exception:
            return False
        return True

    @abc.abstractmethod
    def start(self) -> None:
        """Initialise the data folder and start the server process."""

    @abc.abstractmethod
    def _ping(self) -> None:
        """Raise unless the server answers a query."""

    def _wait_until_up(self) -> None:
        try:
            wait_for(self._answers, within=START_TIMEOUT_SECONDS, what=f"{self.name} up")
        except AssertionError:
            log = self.log()
            self.stop()
            raise RuntimeError(f"{self.name} did not answer; its log:\n{log}") from None

    def stop(self) -> None:
        """Stop the server (a fast shutdown, then a kill past a bound) and remove its folder."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT if self.name == POSTGRESQL else signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        """What the server wrote so far."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _run(self, command: list[str]) -> None:
        result = subprocess.run(command, capture_output=True, check=False, **self.run_as)  # type: ignore[call-overload]
        if result.returncode != 0:
            output = (result.stdout + result.stderr).decode(errors="replace")
            raise RuntimeError(f"{command[0]} failed ({result.returncode}):\n{output}")


class PostgresServer(_Server):
    """A PostgreSQL cluster made by initdb: superuser `bassa`, trust authentication on loopback."""

    name = POSTGRESQL
    system_user = "postgres"
    user = "bassa"

    def start(self) -> None:
        """initdb, then `postgres` on the port and a socket in the temporary directory."""
        binaries = _postgres_bin()
        data = self.root / "data"
        self._run(
            [
                _find("initdb", binaries),
                "--pgdata",
                str(data),
                "--username",
                self.user,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--locale",
                "C.UTF-8",
                "--no-sync",
            ]
        )
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            "max_connections": str(MAX_CONNECTIONS),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "shared_buffers": f"{self.cache_mib or 128}MB",
        }
        command = [_find("postgres", binaries), "-D", str(data)]
        for key, value in settings.items():
            command += ["-c", f"{key}={value}"]
        self._spawn(command)
        self._wait_until_up()

    def _connect(self, database: str = "postgres") -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname=database, autocommit=True
        )

    def _ping(self) -> None:
        with self._connect() as connection:
            connection.execute("SELECT 1")

    def new_database(self) -> str:
        """CREATE DATABASE bassa_N; its psycopg URL."""
        name = f"bassa_{next(_numbers)}"
        with self._connect() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"


class MariaDBServer(_Server):
    """A MariaDB server made by mariadb-install-db; user `bassa` for the servers under test."""

    name = MARIADB
    system_user = "mysql"
    user = "bassa"
    password = "bassa-test-password"

    @property
    def socket(self) -> Path:
        """The server's unix socket (the administrative connection uses it as root)."""
        return self.root / "mysqld.sock"

    def start(self) -> None:
        """mariadb-install-db, then mariadbd on the port and the socket; create the user."""
        data = self.root / "data"
        user = ["--user=mysql"] if self.run_as else []
        self._run(
            [
                _find("mariadb-install-db", "/usr/bin"),
                "--no-defaults",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                *user,
            ]
        )
        self._spawn(
            [
                _find("mariadbd", "/usr/sbin"),
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={self.socket}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--pid-file={self.root / 'mariadbd.pid'}",
                f"--max-connections={MAX_CONNECTIONS}",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
                f"--innodb-buffer-pool-size={self.cache_mib or 64}M",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_general_ci",
            ]
        )
        self._wait_until_up()
        with self._admin() as connection, connection.cursor() as cursor:
            cursor.execute(
                "CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (self.user, self.password)
            )
            cursor.execute("GRANT ALL PRIVILEGES ON *.* TO %s@'127.0.0.1'", (self.user,))

    def _admin(self) -> pymysql.Connection[pymysql.cursors.Cursor]:
        return pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True)

    def _ping(self) -> None:
        self._admin().close()

    def new_database(self) -> str:
        """CREATE DATABASE bassa_N (utf8mb4); its PyMySQL URL."""
        name = f"bassa_{next(_numbers)}"
        with self._admin() as connection, connection.cursor() as cursor:
            # an identifier cannot be a bound parameter: the name is ours, letters and digits only
            assert name.replace("_", "").isalnum()
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        return (
            f"mysql+pymysql://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}"
            "?charset=utf8mb4"
        )


def start_database_server(name: str, cache_mib: int | None = None) -> DatabaseServer:
    """Start a throwaway server for `name` (postgresql or mariadb), with a page cache of
    `cache_mib` (default: PostgreSQL's 128 MiB, a 64 MiB InnoDB buffer pool)."""
    server: _Server = PostgresServer(cache_mib) if name == POSTGRESQL else MariaDBServer(cache_mib)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server  # type: ignore[return-value]
