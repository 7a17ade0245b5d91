"""Change notifications: PostgreSQL tells every listening process what was written.

A conversation written (a new message moves its ``last_seq``, a claim its owner) notifies
``<schema> customer:<id>`` and ``<schema> desk``; a handoff written notifies ``<schema> desk``.
SQLite has no notifications (one process serves everything there): nothing to do.

Revision ID: 0005_change_notify
Revises: 0004_promised_wait_range
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005_change_notify"
down_revision: str | Sequence[str] | None = "0004_promised_wait_range"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONVERSATION_FUNCTION = """
CREATE FUNCTION helpline_conversation_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('helpline_changes', current_schema() || ' customer:' || NEW.customer_id);
    PERFORM pg_notify('helpline_changes', current_schema() || ' desk');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

HANDOFF_FUNCTION = """
CREATE FUNCTION helpline_handoff_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('helpline_changes', current_schema() || ' desk');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    """Add the notifying triggers (PostgreSQL only)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(CONVERSATION_FUNCTION)
    op.execute(HANDOFF_FUNCTION)
    op.execute(
        "CREATE TRIGGER helpline_conversation_changed AFTER INSERT OR UPDATE ON conversation "
        "FOR EACH ROW EXECUTE FUNCTION helpline_conversation_changed()"
    )
    op.execute(
        "CREATE TRIGGER helpline_handoff_changed AFTER INSERT OR UPDATE ON handoff "
        "FOR EACH ROW EXECUTE FUNCTION helpline_handoff_changed()"
    )


def downgrade() -> None:
    """Remove the triggers and their functions."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS helpline_handoff_changed ON handoff")
    op.execute("DROP TRIGGER IF EXISTS helpline_conversation_changed ON conversation")
    op.execute("DROP FUNCTION IF EXISTS helpline_handoff_changed()")
    op.execute("DROP FUNCTION IF EXISTS helpline_conversation_changed()")
