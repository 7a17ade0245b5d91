"""The wait range a queued customer was told, kept with the handoff.

Revision ID: 0004_promised_wait_range
Revises: 0003_session_epoch
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_promised_wait_range"
down_revision: str | Sequence[str] | None = "0003_session_epoch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``handoff.promised_low_s`` and ``promised_high_s`` (earlier handoffs: unknown)."""
    op.add_column("handoff", sa.Column("promised_low_s", sa.Integer(), nullable=True))
    op.add_column("handoff", sa.Column("promised_high_s", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Remove the columns."""
    with op.batch_alter_table("handoff") as batch:
        batch.drop_column("promised_high_s")
        batch.drop_column("promised_low_s")
