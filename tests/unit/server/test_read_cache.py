"""A kept read result lasts exactly until another connection commits to the SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bassa_server._read_cache import ReadCache


def test_kept_until_another_connection_commits(tmp_path: Path) -> None:
    """Reads repeat from the cache while nothing commits; any commit by a writer refreshes."""
    database = tmp_path / "cache.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (n INTEGER)")
    reader = sqlite3.connect(database, isolation_level=None)
    cache = ReadCache()
    computed: list[int] = []

    def total() -> int:
        value = int(reader.execute("SELECT coalesce(sum(n), 0) FROM t").fetchone()[0])
        computed.append(value)
        return value

    assert cache.get(reader, "total", total) == 0
    assert cache.get(reader, "total", total) == 0
    assert computed == [0]
    writer.execute("INSERT INTO t VALUES (5)")
    assert cache.get(reader, "total", total) == 5
    assert cache.get(reader, "other", lambda: -1) == -1
    assert cache.get(reader, "total", total) == 5
    assert computed == [0, 5]
