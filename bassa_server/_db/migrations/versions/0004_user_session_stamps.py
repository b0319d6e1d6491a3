"""Session stamps: a random value per account that every session token carries.

Replacing an account's stamp (a password change, a rename, a block, "log out everywhere") ends
every token minted before; a deleted account's tokens never match the stamp of a new account of
the same name. Every existing account gets its own random stamp here. Tokens minted before this
revision carry no stamp, so everyone signs in once more after the upgrade.

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table("users", sa.column("user_name", sa.String), sa.column("session_stamp", sa.String))


def upgrade() -> None:
    """Add `users.session_stamp` and give every account a random one."""
    op.add_column(
        "users",
        sa.Column("session_stamp", sa.String(32), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    names = bind.execute(sa.select(_users.c.user_name)).scalars().all()
    for name in names:
        bind.execute(
            _users.update()
            .where(_users.c.user_name == name)
            .values(session_stamp=secrets.token_hex(16))
        )


def downgrade() -> None:
    """Drop `users.session_stamp` (tokens minted since then stop working)."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_stamp")
