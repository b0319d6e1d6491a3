"""SQLite: download ids are never handed out again after a delete.

Without AUTOINCREMENT SQLite gives a new row the largest id + 1, so deleting the newest download
and adding another reused its id: a client still holding the old id would then rate, fetch or
delete someone else's download. MariaDB, MySQL and PostgreSQL never reuse ids; nothing changes
there. SQLite can only add AUTOINCREMENT by rebuilding the table (env.py turns foreign keys off for
the rebuild, so dropping the old copy cannot cascade into the ratings). The copied rows keep their
ids, and SQLite starts the sequence after the largest of them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Rebuild `downloads` with AUTOINCREMENT on SQLite."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "downloads", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    """Rebuild `downloads` without AUTOINCREMENT on SQLite."""
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "downloads", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
