"""Each watch's saved engine state.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``watch_engine_states``; watches without a row start with a new engine seeded
    with their tenant's patterns, as before."""
    op.create_table(
        "watch_engine_states",
        sa.Column("watch_id", sa.String(40), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("watch_id"),
    )


def downgrade() -> None:
    """Drop ``watch_engine_states`` (restarted watches then relearn from their lines)."""
    op.drop_table("watch_engine_states")
