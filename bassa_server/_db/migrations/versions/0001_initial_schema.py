"""Initial schema: users, downloads, ratings, zip jobs and the shared queue state.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create every table; the queue starts paused, as the original's did."""
    queue_state = op.create_table(
        "queue_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("updated_time", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "users",
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("auth", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("user_name"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "compression_jobs",
        sa.Column("process_id", sa.String(length=64), nullable=False),
        sa.Column("gids", sa.Text(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.SmallInteger(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("completed_time", sa.BigInteger(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.user_name"], onupdate="CASCADE", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("process_id"),
    )
    op.create_table(
        "downloads",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("link", sa.Text(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("download_name", sa.String(length=1024), nullable=False),
        sa.Column("added_time", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("gid", sa.String(length=16), nullable=True),
        sa.Column("completed_time", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("completed_length", sa.BigInteger(), nullable=False),
        sa.Column("download_speed", sa.BigInteger(), nullable=False),
        sa.Column("started_time", sa.BigInteger(), nullable=True),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("heartbeat_time", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.user_name"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gid"),
    )
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.create_index("ix_downloads_owner", ["user_name", "added_time", "id"], unique=False)
        batch_op.create_index(
            "ix_downloads_status_added", ["status", "added_time", "id"], unique=False
        )
        batch_op.create_index(
            "ix_downloads_status_completed", ["status", "completed_time", "id"], unique=False
        )

    op.create_table(
        "ratings",
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("download_id", sa.BigInteger(), nullable=False),
        sa.Column("rate", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(["download_id"], ["downloads.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.user_name"], onupdate="CASCADE", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_name", "download_id"),
    )
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ratings_download_id"), ["download_id"], unique=False)
    op.bulk_insert(queue_state, [{"id": 1, "state": "paused", "updated_time": 0}])


def downgrade() -> None:
    """Drop every table."""
    with op.batch_alter_table("ratings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ratings_download_id"))

    op.drop_table("ratings")
    with op.batch_alter_table("downloads", schema=None) as batch_op:
        batch_op.drop_index("ix_downloads_status_completed")
        batch_op.drop_index("ix_downloads_status_added")
        batch_op.drop_index("ix_downloads_owner")

    op.drop_table("downloads")
    op.drop_table("compression_jobs")
    op.drop_table("users")
    op.drop_table("queue_state")
