"""Files in conversations: the ``attachment`` table (images and PDFs, apart from messages).

Revision ID: 0007_attachments
Revises: 0006_web_token_digest
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# handoff.store.tables.UtcDateTime stores exactly this; migrations do not import app code.
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0007_attachments"
down_revision: str | Sequence[str] | None = "0006_web_token_digest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``attachment``, keyed by a random id, owned by a customer and a message."""
    op.create_table(
        "attachment",
        sa.Column("id", sa.String(48), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name="fk_attachment_customer_id_customer"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name="fk_attachment_message_id_message"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_attachment"),
    )
    op.create_index("ix_attachment_customer_id", "attachment", ["customer_id"])
    op.create_index("ix_attachment_message_id", "attachment", ["message_id"])


def downgrade() -> None:
    """Drop the table (and every file in it)."""
    op.drop_index("ix_attachment_message_id", table_name="attachment")
    op.drop_index("ix_attachment_customer_id", table_name="attachment")
    op.drop_table("attachment")
