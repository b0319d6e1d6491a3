"""Bring a database's schema to the newest revision, on every start.

Alembic keeps the revision in `alembic_version`; the scripts live in `migrations/versions/` inside
the package, so an installed server migrates without an alembic.ini. Several replicas starting at
once against one server database each run it; Alembic's version row keeps that harmless for
additive revisions.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    """An Alembic configuration that runs the packaged scripts on `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Apply every revision the database lacks (a no-op when it is current)."""
    command.upgrade(alembic_config(engine), "head")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision the package ships."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()
