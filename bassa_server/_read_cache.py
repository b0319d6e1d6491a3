"""What prepared reads on a SQLite file returned, kept until anything commits to the file.

`PRAGMA data_version` on a connection changes whenever another connection, in this process or
any other, commits to the database. The kept reader never writes, so while that number stands
still a read would return exactly what it returned before: a list page then costs the pragma
(a few µs) instead of the query and its JSON (~140 µs, about half of the request; see
benchmarks/server.py). A commit by the API, the engine or another replica sharing the file
empties the cache before the next read, so no answer is ever older than the database.

A server database has no such number that another replica's commit changes before this one's
next read could start, so there every read runs; `ShapeMemo` keeps only what was made from rows
(a page's JSON), for the next read that returns the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
MAX_ENTRIES = 1024


class ReadCache:
    """Values computed from reads on one connection, valid for one `data_version`."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._version: int | None = None
        self._values: dict[Hashable, Any] = {}

    def get(self, dbapi_connection: Any, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for `key` if nothing committed since, else `compute()` (then kept).

        The version is read before `compute` runs, so a value is never kept under a version
        older than the data it was computed from: a commit in between only costs a recompute.
        """
        version = data_version(dbapi_connection)
        if version != self._version:
            self._values.clear()
            self._version = version
        try:
            found: T = self._values[key]
        except KeyError:
            pass
        else:
            return found
        value = compute()
        if len(self._values) >= self._max_entries:
            self._values.clear()
        self._values[key] = value
        return value


def data_version(dbapi_connection: Any) -> int:
    """SQLite's count of commits by other connections, as seen by this one."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA data_version")
        version: int = cursor.fetchone()[0]
        return version
    finally:
        cursor.close()


class ShapeMemo:
    """Values made from a read's rows, found again by the read and the rows themselves."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._values: dict[Hashable, Any] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for `key` (which must hold the rows), else `compute()` (then kept)."""
        try:
            found: T = self._values[key]
        except KeyError:
            pass
        else:
            return found
        value = compute()
        if len(self._values) >= self._max_entries:
            self._values.clear()
        self._values[key] = value
        return value
