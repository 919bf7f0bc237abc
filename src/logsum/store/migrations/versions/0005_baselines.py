"""Each tenant's learned baseline (``learn_only`` analyses; ``DELETE /v1/baseline``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``baselines``: one row per tenant, the profile as JSON text."""
    op.create_table(
        "baselines",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_baselines"),
    )


def downgrade() -> None:
    """Drop ``baselines`` (learned baselines are lost; analyses judge batches on their own)."""
    op.drop_table("baselines")
