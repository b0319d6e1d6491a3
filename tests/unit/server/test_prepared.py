"""Prepared reads bind values correctly for positional and named driver parameter styles."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Dialect, bindparam, select
from sqlalchemy.dialects import mysql, postgresql, sqlite

from bassa_server._db.models import Download
from bassa_server._prepared import PreparedRead

PAGE = PreparedRead(
    select(Download.id, Download.link)
    .where(Download.user_name == bindparam("user_name"))
    .order_by(Download.id)
    .offset(bindparam("offset"))
    .limit(2)
)


def test_sqlite_rows_with_positional_parameters() -> None:
    """On SQLite (qmark) the values and the fixed page size land in the right places."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE TABLE downloads (id INTEGER, link TEXT, user_name TEXT)")
    connection.executemany(
        "INSERT INTO downloads VALUES (?, ?, ?)",
        [(i, f"l{i}", "alice" if i % 2 else "bob") for i in range(1, 9)],
    )
    rows = PAGE.all(connection, sqlite.dialect(), user_name="alice", offset=1)
    assert rows == [(3, "l3"), (5, "l5")]
    assert PAGE.all(connection, sqlite.dialect(), user_name="nobody", offset=0) == []


def test_server_dialects_compile_with_their_parameter_styles() -> None:
    """PostgreSQL (named) and MySQL (positional) get bound parameters, never inlined values."""
    server_dialects: list[tuple[Dialect, str]] = [
        (postgresql.psycopg.dialect(), "%(user_name)s"),  # type: ignore[no-untyped-call]
        (mysql.pymysql.dialect(), "%s"),
    ]
    for dialect, marker in server_dialects:
        compiled = PAGE._compiled(dialect)
        assert marker in compiled.sql
        assert "alice" not in compiled.sql
        assert 2 in compiled.defaults.values()
