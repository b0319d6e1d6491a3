"""Zip jobs owned by the server process that builds them, under a lease.

Before, a server starting up marked every running zip job as interrupted, including those
another live replica was building; asking again then built the same zip a second time into the
same partial file. Now the builder renews a lease on its job, a replica takes over only a job
whose lease has run out, and each attempt writes its own partial file. Jobs left running by an
older server have no lease: the first replica to look takes them over.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add `owner`, `lease_expires`, `attempt` and `files` to `compression_jobs`."""
    with op.batch_alter_table("compression_jobs") as batch:
        batch.add_column(sa.Column("owner", sa.String(96), nullable=True))
        batch.add_column(sa.Column("lease_expires", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("attempt", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("files", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the build columns (an older server marks running jobs interrupted at start)."""
    with op.batch_alter_table("compression_jobs") as batch:
        for name in ("files", "attempt", "lease_expires", "owner"):
            batch.drop_column(name)
