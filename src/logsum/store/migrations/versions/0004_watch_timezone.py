"""The zone of a watch's zone-less timestamps.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``watches.timezone`` (an IANA name); existing watches read UTC, as before."""
    op.add_column(
        "watches",
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
    )


def downgrade() -> None:
    """Drop ``watches.timezone`` (watches then read zone-less timestamps as UTC)."""
    with op.batch_alter_table("watches") as batch:
        batch.drop_column("timezone")
