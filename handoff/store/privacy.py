"""The privacy operations of the SQL store: export or erase a customer, purge old conversations.

Erasure is the explicit, audited exception to the append-only transcript (docs/architecture.md,
"The store"). It removes, in one transaction, every row that holds what the customer said
or who they are: their messages (with edits, button payloads and channel references),
the files sent in their conversations, feedback, handoffs (whose summary and detail quote
the customer), timers keyed by their conversations, the conversations (with the staff
group's forum topic link), the e-mail address and further chat tokens, and the customer
row itself. The audit log gets one row with counts, never content. The retention purge
erases closed conversations the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import NotFound
from handoff.privacy import CustomerRecord, Erasure
from handoff.store.attachments import stored_file
from handoff.store.base import SqlBase, aware
from handoff.store.reply_mail import forget_reply_mail
from handoff.store.tables import (
    AgentRow,
    AttachmentRow,
    ConversationRow,
    CustomerRow,
    FeedbackRow,
    HandoffRow,
    MessageRow,
    ReplyMailRow,
    TimerRow,
)


async def _count(session: AsyncSession, table: Any, where: ColumnElement[bool]) -> int:
    return int(await session.scalar(select(func.count()).select_from(table).where(where)) or 0)


class PrivacySql(SqlBase):
    """Data-subject requests (:meth:`export_customer`, :meth:`erase_customer`) and retention."""

    async def export_customer(self, customer_id: int) -> CustomerRecord:
        """Everything stored about one customer, read in one transaction.

        Raises:
            NotFound: no such customer.
        """
        async with self._tx(write=False) as session:
            customer = await session.get(CustomerRow, customer_id)
            if customer is None:
                raise NotFound("customer", customer_id)
            conversations = list(
                await session.scalars(
                    select(ConversationRow)
                    .where(ConversationRow.customer_id == customer_id)
                    .order_by(ConversationRow.created_at, ConversationRow.id)
                )
            )
            ids = [c.id for c in conversations]
            messages = await session.execute(
                select(MessageRow, AgentRow.name)
                .outerjoin(AgentRow, MessageRow.agent_id == AgentRow.id)
                .where(MessageRow.conversation_id.in_(ids))
                .order_by(MessageRow.id)
            )
            handoffs = await session.scalars(
                select(HandoffRow)
                .where(HandoffRow.conversation_id.in_(ids))
                .order_by(HandoffRow.id)
            )
            feedback = await session.scalars(
                select(FeedbackRow)
                .where(FeedbackRow.conversation_id.in_(ids))
                .order_by(FeedbackRow.id)
            )
            files = await session.scalars(
                select(AttachmentRow)
                .where(AttachmentRow.customer_id == customer_id)
                .order_by(AttachmentRow.created_at, AttachmentRow.id)
            )
            reply_mail = await session.get(ReplyMailRow, customer_id)
            return CustomerRecord(
                customer=customer.to_value(),
                reply_mail=None if reply_mail is None else reply_mail.to_value(),
                conversations=tuple(c.to_value() for c in conversations),
                messages=tuple(row.to_value(name) for row, name in messages),
                handoffs=tuple(row.to_value() for row in handoffs),
                feedback=tuple(row.to_value() for row in feedback),
                attachments=tuple(stored_file(row) for row in files),
            )

    async def erase_customer(self, customer_id: int, *, actor: str) -> Erasure:
        """Remove the customer and everything they said, everywhere the store keeps it.

        Conversations still open go too: an agent working on one sees it disappear.
        The audit log records who erased which customer id and how many rows went.

        Args:
            customer_id: whose data to erase.
            actor: who asked, for the audit log (``admin``, ``agent:3``, ``cli``).

        Returns:
            The counts, and the forum topics staff should delete on Telegram.

        Raises:
            NotFound: no such customer.
        """
        async with self._tx(write=True) as session:
            customer = await session.get(CustomerRow, customer_id)
            if customer is None:
                raise NotFound("customer", customer_id)
            ids: list[UUID] = list(
                await session.scalars(
                    select(ConversationRow.id).where(ConversationRow.customer_id == customer_id)
                )
            )
            topics = tuple(
                topic
                for topic in await session.scalars(
                    select(ConversationRow.telegram_topic_id).where(
                        ConversationRow.customer_id == customer_id,
                        ConversationRow.telegram_topic_id.is_not(None),
                    )
                )
                if topic is not None
            )
            # Timers name what they are about in their key; ours are keyed by conversation.
            timer_keys = [str(cid) for cid in ids]
            erasure = Erasure(
                customer_id=customer_id,
                conversations=len(ids),
                messages=await _count(session, MessageRow, MessageRow.conversation_id.in_(ids)),
                handoffs=await _count(session, HandoffRow, HandoffRow.conversation_id.in_(ids)),
                feedback=await _count(session, FeedbackRow, FeedbackRow.conversation_id.in_(ids)),
                timers=await _count(session, TimerRow, TimerRow.key.in_(timer_keys)),
                telegram_topics=topics,
                attachments=await _count(
                    session, AttachmentRow, AttachmentRow.customer_id == customer_id
                ),
            )
            await session.execute(
                delete(AttachmentRow).where(AttachmentRow.customer_id == customer_id)
            )
            for table in (FeedbackRow, HandoffRow, MessageRow):
                await session.execute(delete(table).where(table.conversation_id.in_(ids)))
            await session.execute(delete(TimerRow).where(TimerRow.key.in_(timer_keys)))
            await session.execute(delete(ConversationRow).where(ConversationRow.id.in_(ids)))
            await forget_reply_mail(session, [customer_id])
            await session.execute(delete(CustomerRow).where(CustomerRow.id == customer_id))
            session.add(
                self._audit_row(
                    actor, "erase_customer", f"customer:{customer_id}", erasure.summary()
                )
            )
            return erasure

    async def purge_closed_conversations(self, *, closed_before: datetime, actor: str) -> int:
        """Erase conversations closed before ``closed_before``, with their transcripts.

        This is the audited privacy operation (docs/architecture.md, "The store"): the
        audit log records how many conversations went and the cut-off, never their content.

        Returns:
            How many conversations were erased.

        Raises:
            ValueError: ``closed_before`` is naive.
        """
        cutoff = aware(closed_before, "closed_before")
        async with self._tx(write=True) as session:
            ids = list(
                await session.scalars(
                    select(ConversationRow.id).where(
                        ConversationRow.closed_at.is_not(None), ConversationRow.closed_at < cutoff
                    )
                )
            )
            # Files go with the messages that carry them, and files no message ever took
            # (a send that failed half-way) once they are as old as the cut-off.
            carried = select(MessageRow.id).where(MessageRow.conversation_id.in_(ids))
            await session.execute(
                delete(AttachmentRow).where(
                    or_(
                        AttachmentRow.message_id.in_(carried),
                        and_(AttachmentRow.message_id.is_(None), AttachmentRow.created_at < cutoff),
                    )
                )
            )
            if ids:
                for table in (FeedbackRow, HandoffRow, MessageRow):
                    await session.execute(delete(table).where(table.conversation_id.in_(ids)))
                await session.execute(delete(ConversationRow).where(ConversationRow.id.in_(ids)))
                # An address outlives no conversation: nothing is left to reply to.
                await forget_reply_mail(session, None)
            session.add(
                self._audit_row(
                    actor,
                    "retention_purge",
                    "conversations",
                    f"{len(ids)} closed before {cutoff.isoformat()}",
                )
            )
            return len(ids)
