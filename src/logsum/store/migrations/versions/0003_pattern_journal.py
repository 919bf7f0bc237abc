"""The pattern journal: writes append one row, readers fold them into ``patterns``.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``pattern_journal``."""
    op.create_table(
        "pattern_journal",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_pattern_journal"),
    )
    op.create_index("ix_pattern_journal_tenant_id", "pattern_journal", ["tenant_id", "id"])


def downgrade() -> None:
    """Fold nothing: drop the journal (run the service once before downgrading, so that its
    readers fold what is pending)."""
    op.drop_index("ix_pattern_journal_tenant_id", table_name="pattern_journal")
    op.drop_table("pattern_journal")
