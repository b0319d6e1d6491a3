"""SELECTs compiled once per database dialect and run on the driver's cursor.

The hottest reads (a session's account, the list pages) spend more time in SQLAlchemy's per-call
machinery (compiled-cache lookup, result processing) than in the database: ~130 µs against ~10 µs
for the query itself on SQLite. A `PreparedRead` compiles its statement once for the connection's
dialect, then binds the parameters and fetches plain tuples through the DBAPI cursor. The SQL
still comes only from SQLAlchemy constructs and every value is a bound parameter. Only columns
whose database values are already what the API shows (integers and strings) belong here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Dialect, Select
from sqlalchemy.sql.compiler import SQLCompiler


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None
    defaults: dict[str, Any]


class PreparedRead:
    """A SELECT to run many times with different bound values."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple[str, str, str], _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._by_dialect.get(key)
        if found is None:
            compiled = self.statement.compile(dialect=dialect)
            assert isinstance(compiled, SQLCompiler)
            order = compiled.positiontup
            found = _Compiled(
                sql=str(compiled),
                positional=tuple(order) if compiled.positional and order is not None else None,
                # values fixed in the statement itself, such as the page size
                defaults={
                    name: bind.effective_value
                    for name, bind in compiled.binds.items()
                    if not bind.required
                },
            )
            self._by_dialect[key] = found
        return found

    def bound(self, dialect: Dialect, values: dict[str, Any]) -> tuple[str, Any]:
        """The SQL for `dialect` and its bound values (a tuple for a positional paramstyle)."""
        compiled = self._compiled(dialect)
        params = {**compiled.defaults, **values}
        if compiled.positional is not None:
            return compiled.sql, tuple(params[name] for name in compiled.positional)
        return compiled.sql, params

    def all(self, dbapi_connection: Any, dialect: Dialect, **values: Any) -> list[tuple[Any, ...]]:
        """The rows for `values` (the statement's `bindparam` names) as plain tuples."""
        sql, bound = self.bound(dialect, values)
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql, bound)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    async def all_async(
        self, connection: Any, dialect: Dialect, **values: Any
    ) -> list[tuple[Any, ...]]:
        """`all` on an asynchronous DB-API-like connection (asyncmy's)."""
        sql, bound = self.bound(dialect, values)
        async with connection.cursor() as cursor:
            await cursor.execute(sql, bound)
            return [tuple(row) for row in await cursor.fetchall()]
