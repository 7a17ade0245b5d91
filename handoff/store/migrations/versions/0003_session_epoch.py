"""Console sessions that the server can end: a per-agent session epoch.

Revision ID: 0003_session_epoch
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_session_epoch"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add ``agent.session_epoch``. Sessions made before the upgrade carry no epoch: agents
    log in once more after it."""
    op.add_column(
        "agent",
        sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    """Remove the column."""
    op.drop_column("agent", "session_epoch")
