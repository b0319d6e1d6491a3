"""User names are compared exactly (byte for byte) on every database.

SQLite and PostgreSQL already compare text exactly; MariaDB/MySQL compare with the column's
collation, which by default ignores case (and trailing spaces), so there `ALICE` signed in as
`alice` and could not sign up beside her. Every column holding a user name gets a binary collation
that does not pad (MariaDB `utf8mb4_nopad_bin`, MySQL 8 `utf8mb4_0900_bin`, else `utf8mb4_bin`).
The old collation made names unique regardless of case, so no existing pair can clash under the
stricter one; nothing changes on SQLite and PostgreSQL.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, nullable): the account key first, then the columns that reference it
USER_NAME_COLUMNS = (
    ("users", "user_name", False),
    ("downloads", "user_name", False),
    ("ratings", "user_name", False),
    ("compression_jobs", "user_name", True),
)
PREFERRED_COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin", "utf8mb4_bin")


def _collation(bind: sa.Connection) -> str:
    available = set(
        bind.execute(
            sa.text(
                "SELECT COLLATION_NAME FROM information_schema.COLLATIONS"
                " WHERE CHARACTER_SET_NAME = 'utf8mb4'"
            )
        ).scalars()
    )
    return next(name for name in PREFERRED_COLLATIONS if name in available)


def _references(bind: sa.Connection) -> list[tuple[str, str, str, str, str]]:
    """The foreign keys that point at `users.user_name`: name, table, column, rules."""
    query = sa.text(
        "SELECT k.CONSTRAINT_NAME, k.TABLE_NAME, k.COLUMN_NAME, r.DELETE_RULE, r.UPDATE_RULE"
        " FROM information_schema.KEY_COLUMN_USAGE k"
        " JOIN information_schema.REFERENTIAL_CONSTRAINTS r"
        " ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME"
        " AND r.TABLE_NAME = k.TABLE_NAME"
        " WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME = 'users'"
        " AND k.REFERENCED_COLUMN_NAME = 'user_name'"
    )
    return [(row[0], row[1], row[2], row[3], row[4]) for row in bind.execute(query)]


def _set_collation(collation: str | None) -> None:
    bind = op.get_bind()
    if bind.dialect.name not in ("mysql", "mariadb"):
        return
    collation = collation or _collation(bind)
    # a key and the columns that reference it must share a collation, and InnoDB will not
    # change a column a foreign key uses: drop those keys, change every column, put them back
    references = _references(bind)
    for name, table, _column, _on_delete, _on_update in references:
        op.drop_constraint(name, table, type_="foreignkey")
    for table, column, nullable in USER_NAME_COLUMNS:
        op.alter_column(
            table,
            column,
            existing_type=sa.String(64),
            type_=sa.String(64, collation=collation),
            existing_nullable=nullable,
        )
    for name, table, column, on_delete, on_update in references:
        op.create_foreign_key(
            name, table, "users", [column], ["user_name"], ondelete=on_delete, onupdate=on_update
        )


def upgrade() -> None:
    """MariaDB/MySQL: a binary, non-padding collation on every user-name column."""
    _set_collation(None)


def downgrade() -> None:
    """MariaDB/MySQL: back to the case-insensitive default collation."""
    _set_collation("utf8mb4_general_ci")
