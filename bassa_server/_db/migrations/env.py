"""Alembic's entry point: run the migrations on the connection (or engine) the server handed over.

`migrate.upgrade` passes the connection that holds the migration lock; other callers (a
downgrade in a test) pass only the engine.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, Engine

from bassa_server._db.models import Base


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # SQLite changes a table by rebuilding it; with foreign keys on, dropping the old copy
        # would cascade into the rows that reference it. sqlite.org/lang_altertable.html: turn
        # them off (only possible outside a transaction), migrate, check, turn them on again.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
    try:
        with connection.begin():
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=sqlite,
            )
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows without their parents: {broken}")
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


given = context.config.attributes.get("connection")
if isinstance(given, Connection):
    _run(given)
else:
    engine = context.config.attributes["engine"]
    assert isinstance(engine, Engine)
    with engine.connect() as connection:
        _run(connection)
