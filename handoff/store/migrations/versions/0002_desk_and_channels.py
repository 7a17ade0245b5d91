"""The desk and the channels: agent presence and routing, timers, notices, Telegram state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the desk's and the channels' columns and tables."""
    # --- desk: agents, routing, handoff card, satisfaction ---
    op.add_column("agent", sa.Column("last_seen_at", TIMESTAMP, nullable=True))
    op.add_column("agent", sa.Column("last_assigned_at", TIMESTAMP, nullable=True))
    op.add_column("handoff", sa.Column("detail", sa.String(length=255), nullable=True))
    op.add_column("handoff", sa.Column("released_by", sa.Integer(), nullable=True))
    # --- desk: notices, office hours, timers ---
    op.create_table(
        "timer",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("fired_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timer")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_timer_kind_key")),
    )
    op.create_index("ix_timer_fired_at_due_at", "timer", ["fired_at", "due_at"], unique=False)
    # --- desk: notices, office hours, timers (end) ---
    # --- channels: Telegram ---
    op.add_column("customer", sa.Column("unreachable_at", TIMESTAMP, nullable=True))
    op.add_column("conversation", sa.Column("telegram_topic_id", sa.Integer(), nullable=True))
    op.add_column("message", sa.Column("edited_text", sa.Text(), nullable=True))
    op.add_column("message", sa.Column("edited_at", TIMESTAMP, nullable=True))
    op.add_column("agent", sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
    # A unique index, not a constraint: SQLite cannot add a constraint to a table.
    op.create_index(op.f("ix_agent_telegram_user_id"), "agent", ["telegram_user_id"], unique=True)
    # --- channels: Telegram (end) ---


def downgrade() -> None:
    """Remove what upgrade added, in reverse order."""
    # --- channels: Telegram ---
    op.drop_index(op.f("ix_agent_telegram_user_id"), table_name="agent")
    op.drop_column("agent", "telegram_user_id")
    op.drop_column("message", "edited_at")
    op.drop_column("message", "edited_text")
    op.drop_column("conversation", "telegram_topic_id")
    op.drop_column("customer", "unreachable_at")
    # --- channels: Telegram (end) ---
    # --- desk: notices, office hours, timers ---
    op.drop_index("ix_timer_fired_at_due_at", table_name="timer")
    op.drop_table("timer")
    # --- desk: notices, office hours, timers (end) ---
    # --- desk: agents, routing, handoff card, satisfaction ---
    # SQLite (3.35+) drops plain columns natively, so no table rebuild is needed.
    op.drop_column("handoff", "released_by")
    op.drop_column("handoff", "detail")
    op.drop_column("agent", "last_assigned_at")
    op.drop_column("agent", "last_seen_at")
