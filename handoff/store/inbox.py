"""The console's inbox on SQL: every conversation open with people, searchable."""

from __future__ import annotations

from sqlalchemy import and_, exists, func, or_, select

from handoff.model import ConversationState, InboxEntry, SenderKind
from handoff.store.base import SqlBase
from handoff.store.tables import ConversationRow, CustomerRow, HandoffRow, MessageRow

_WITH_PEOPLE = (ConversationState.QUEUED.value, ConversationState.AGENT.value)
#: The most conversations one inbox lists (a desk with more open ones narrows by search).
INBOX_LIMIT = 500


def _like_pattern(text: str) -> str:
    """``text`` as a case-insensitive LIKE pattern that matches it literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class InboxSql(SqlBase):
    """The inbox part of the SQL store."""

    async def inbox(self, *, search: str | None = None) -> list[InboxEntry]:
        """Open conversations waiting for or owned by an agent, oldest handoff first.

        Args:
            search: only conversations whose customer's name or one of whose customer
                messages contains this text (case-insensitive).
        """
        customer_said = and_(
            MessageRow.conversation_id == ConversationRow.id,
            MessageRow.sender == SenderKind.CUSTOMER.value,
        )
        last_text = (
            select(MessageRow.text)
            .where(customer_said)
            .order_by(MessageRow.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        last_seq = select(func.max(MessageRow.seq)).where(customer_said).scalar_subquery()
        query = (
            select(ConversationRow, HandoffRow, CustomerRow, last_text, last_seq)
            .join(
                HandoffRow,
                and_(
                    HandoffRow.conversation_id == ConversationRow.id,
                    HandoffRow.resolved_at.is_(None),
                ),
            )
            .join(CustomerRow, CustomerRow.id == ConversationRow.customer_id)
            .where(ConversationRow.state.in_(_WITH_PEOPLE), ConversationRow.closed_at.is_(None))
            .order_by(HandoffRow.requested_at, HandoffRow.id)
            .limit(INBOX_LIMIT)
        )
        if search and search.strip():
            pattern = _like_pattern(search.strip())
            query = query.where(
                or_(
                    func.lower(CustomerRow.display_name).like(pattern, escape="\\"),
                    exists().where(
                        customer_said, func.lower(MessageRow.text).like(pattern, escape="\\")
                    ),
                )
            )
        async with self._tx(write=False) as session:
            rows = (await session.execute(query)).all()
        return [
            InboxEntry(
                conversation=conv.to_value(),
                handoff=handoff.to_value(),
                customer=customer.to_value(),
                last_customer_text=text,
                last_customer_seq=seq or 0,
            )
            for conv, handoff, customer, text, seq in rows
        ]
