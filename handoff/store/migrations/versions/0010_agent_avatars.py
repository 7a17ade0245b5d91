"""Agents' pictures, which customers see beside the agent's name.

Revision ID: 0010_agent_avatars
Revises: 0009_reply_mail
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_agent_avatars"
down_revision: str | Sequence[str] | None = "0009_reply_mail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the agent picture table."""
    op.create_table(
        "agent_avatar",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_agent_avatar_agent_id_agent")
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agent_avatar")),
    )


def downgrade() -> None:
    """Remove the agent picture table."""
    op.drop_table("agent_avatar")
