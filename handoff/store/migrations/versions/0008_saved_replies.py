"""Saved replies: texts agents insert with ``/shortcut``, per team or personal.

Revision ID: 0008_saved_replies
Revises: 0007_attachments
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_saved_replies"
down_revision: str | Sequence[str] | None = "0007_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the saved reply table."""
    op.create_table(
        "saved_reply",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("shortcut", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_saved_reply_agent_id_agent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_reply")),
    )
    op.create_index(op.f("ix_saved_reply_team"), "saved_reply", ["team"], unique=False)
    op.create_index(op.f("ix_saved_reply_agent_id"), "saved_reply", ["agent_id"], unique=False)


def downgrade() -> None:
    """Remove the saved reply table."""
    op.drop_index(op.f("ix_saved_reply_agent_id"), table_name="saved_reply")
    op.drop_index(op.f("ix_saved_reply_team"), table_name="saved_reply")
    op.drop_table("saved_reply")
