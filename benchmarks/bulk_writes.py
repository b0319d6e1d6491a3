"""What the kept counters cost a statement that writes many rows, on SQLite, PostgreSQL and MariaDB.

The counters (`download_counts`, `completed_bytes_daily`, `heavy_window`) are kept by triggers on
`downloads` (revisions 0007 and 0009). For each database, a fresh database is migrated to
`--revision` (default: the newest) and holds `--rows` completed downloads of one user in a table
without triggers (`bulk_source`). Then, one transaction each:

- copy: `INSERT INTO downloads SELECT … FROM bulk_source` (one statement, every row), as a bulk
  load does;
- delete: `DELETE FROM downloads WHERE user_name = …` (one statement);
- delete the user: what the server does when an admin deletes the account (its byte totals, then
  its downloads, then the account: `_accounts.delete_account`), the copy made again first;

and the same two statements on `bulk_twin`, a table with `downloads`' columns and no trigger, in the
same run: the baseline (the twin's delete for both deletes). Printed: seconds and counted ÷
twin for each. Before revision 0009 the
ratio on PostgreSQL grew with the rows (every row's trigger updated the same counter rows, and each
update left a version the next had to step over); `--revision 0008` measures that.

Usage: .venv/bin/python benchmarks/bulk_writes.py [--database postgresql] [--rows 8000]
       [--revision 0008]
`tests/databases.py` starts the throwaway PostgreSQL and MariaDB. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import Column, Engine, MetaData, Table, delete, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bassa_server import _accounts as accounts  # noqa: E402
from bassa_server._db import migrate  # noqa: E402
from bassa_server._db.engine import make_engine  # noqa: E402
from bassa_server._db.models import Download, User  # noqa: E402
from tests.databases import ALL_DATABASES, SQLITE, start_database_server  # noqa: E402

USER = "bulk"
COLUMNS = ("link", "user_name", "download_name", "added_time", "status", "completed_time", "size")


def _twin(name: str, metadata: MetaData) -> Table:
    """A table with the columns the benchmark writes, and no trigger or key to anything."""
    columns = (Download.__table__.c[c] for c in ("id", *COLUMNS))
    return Table(
        name, metadata, *(Column(c.name, c.type, primary_key=c.primary_key) for c in columns)
    )


def measure(engine: Engine, rows: int) -> dict[str, float]:
    """Seconds of each statement on `downloads` and on the twin."""
    metadata = MetaData()
    source, twin = _twin("bulk_source", metadata), _twin("bulk_twin", metadata)
    metadata.create_all(engine)
    now = int(time.time())
    with engine.begin() as connection:
        connection.execute(
            insert(User).values(user_name=USER, password_hash="x", email="bulk@example.org")
        )
        connection.execute(
            insert(source),
            [
                {
                    "link": f"https://example.org/{i}.bin",
                    "user_name": USER,
                    "download_name": f"{i}.bin",
                    "added_time": now - rows + i,
                    "status": 3,
                    "completed_time": now - rows + i,
                    "size": 1000 + i,
                }
                for i in range(rows)
            ],
        )
    copied = select(*(source.c[c] for c in COLUMNS))
    seconds = {}
    for label, table in (("counted", Download.__table__), ("twin", twin)):
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(insert(table).from_select(list(COLUMNS), copied))
        seconds[f"copy {label}"] = time.perf_counter() - started
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(delete(table).where(table.c.user_name == USER))
        seconds[f"delete {label}"] = time.perf_counter() - started
    # the server's way of deleting a user (totals first, then downloads, then the account)
    with engine.begin() as connection:
        connection.execute(insert(Download.__table__).from_select(list(COLUMNS), copied))
    started = time.perf_counter()
    with Session(engine) as session, session.begin():
        accounts.delete_account(session, USER)
    seconds["delete the user counted"] = time.perf_counter() - started
    seconds["delete the user twin"] = seconds["delete twin"]
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", action="append", choices=ALL_DATABASES)
    parser.add_argument("--rows", type=int, default=8000)
    parser.add_argument("--revision", default="head")
    args = parser.parse_args()
    print(f"{args.rows:,} rows of one user, one statement each, revision {args.revision}")
    for name in args.database or list(ALL_DATABASES):
        server = None if name == SQLITE else start_database_server(name)
        try:
            with tempfile.TemporaryDirectory() as folder:
                url = server.new_database() if server else f"sqlite:///{folder}/bulk.db"
                engine = make_engine(url)
                with engine.connect() as connection:
                    command.upgrade(migrate.alembic_config(engine, connection), args.revision)
                    connection.commit()
                seconds = measure(engine, args.rows)
                engine.dispose()
        finally:
            if server is not None:
                server.stop()
        for what in ("copy", "delete", "delete the user"):
            counted, twin = seconds[f"{what} counted"], seconds[f"{what} twin"]
            print(
                f"  {name:<10} {what:<15} {counted:7.3f} s, without triggers {twin:7.3f} s: "
                f"{counted / twin:6.1f}x"
            )


if __name__ == "__main__":
    main()
