"""Pattern history per time bucket, stored anomalies, and the journal's anomalies.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``pattern_history`` and ``anomalies``; add ``pattern_journal.anomalies``. Journal
    rows written before have no timeline: their lines count at the row's time when folded."""
    op.add_column("pattern_journal", sa.Column("anomalies", sa.Text(), nullable=True))
    op.create_table(
        "pattern_history",
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("pattern_id", sa.String(64), nullable=False),
        sa.Column("bucket_seconds", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "pattern_id", "bucket_seconds", "start", name="pk_pattern_history"
        ),
    )
    op.create_index(
        "ix_pattern_history_expiry", "pattern_history", ["tenant_id", "bucket_seconds", "start"]
    )
    op.create_table(
        "anomalies",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
            autoincrement=True,
        ),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_anomalies"),
    )
    op.create_index("ix_anomalies_tenant_found", "anomalies", ["tenant_id", "found_at", "id"])


def downgrade() -> None:
    """Drop the history and the stored anomalies (pattern counts are kept)."""
    op.drop_index("ix_anomalies_tenant_found", table_name="anomalies")
    op.drop_table("anomalies")
    op.drop_index("ix_pattern_history_expiry", table_name="pattern_history")
    op.drop_table("pattern_history")
    with op.batch_alter_table("pattern_journal") as batch:
        batch.drop_column("anomalies")
