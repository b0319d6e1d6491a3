"""Alembic's entry point: run the migrations on the engine the server handed over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from bassa_server._db.models import Base

engine = context.config.attributes["engine"]
assert isinstance(engine, Engine)

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
