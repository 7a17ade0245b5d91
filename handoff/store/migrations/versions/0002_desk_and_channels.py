"""The desk and the channels: agent presence and routing, timers, notices, Telegram state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op  # noqa: F401  (used by the sections below as they are filled)

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the desk's and the channels' columns and tables."""
    # --- desk: agents, routing, handoff card, satisfaction ---
    # --- desk: notices, office hours, timers ---
    # --- channels: Telegram ---


def downgrade() -> None:
    """Remove what upgrade added, in reverse order."""
    # --- channels: Telegram ---
    # --- desk: notices, office hours, timers ---
    # --- desk: agents, routing, handoff card, satisfaction ---
