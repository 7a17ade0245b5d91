"""Replies by e-mail: the customer's address and mail state, and tokens of resume links.

Revision ID: 0009_reply_mail
Revises: 0008_saved_replies
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_reply_mail"
down_revision: str | Sequence[str] | None = "0008_saved_replies"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the reply mail and web token tables."""
    op.create_table(
        "reply_mail",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=True),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_through", sa.Integer(), nullable=False),
        sa.Column("mailed_through", sa.Integer(), nullable=False),
        sa.Column("sending_through", sa.Integer(), nullable=True),
        sa.Column("sending_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_reply_mail_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_reply_mail")),
    )
    op.create_table(
        "web_token",
        sa.Column("digest", sa.String(length=255), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_web_token_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_web_token")),
    )
    op.create_index(op.f("ix_web_token_customer_id"), "web_token", ["customer_id"], unique=False)


def downgrade() -> None:
    """Remove the reply mail and web token tables."""
    op.drop_index(op.f("ix_web_token_customer_id"), table_name="web_token")
    op.drop_table("web_token")
    op.drop_table("reply_mail")
