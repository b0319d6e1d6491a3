"""A table of facts every replica shares: first, the identity of the downloads folder.

Each replica checks at start that its downloads folder holds the marker whose random content the
first replica recorded here, so two replicas with different folders (a forgotten shared volume)
refuse to start instead of serving each other's files as missing.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create `deployment_facts` (name, value)."""
    op.create_table(
        "deployment_facts",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )


def downgrade() -> None:
    """Drop `deployment_facts` (the next start records the folder's marker again)."""
    op.drop_table("deployment_facts")
