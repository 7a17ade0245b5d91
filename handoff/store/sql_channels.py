"""What the channels need of the SQL store: edits, reachability, chat moves, staff topics."""

from __future__ import annotations

import functools
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import NotFound
from handoff.model import CHANNEL_REF, Agent, Message
from handoff.store import hot
from handoff.store.sql_base import SqlBase
from handoff.store.tables import AgentRow, ConversationRow, CustomerRow, MessageRow


class ChannelsSql(SqlBase):
    """The channel part of the SQL store (Telegram and any later push channel)."""

    async def find_message_by_ref(self, customer_id: int, ref: str) -> Message | None:
        """The customer's message whose ``meta["channel_ref"]`` is ``ref``, if any."""
        async with self._tx(write=False) as session:
            row = await session.scalar(
                select(MessageRow)
                .join(ConversationRow, MessageRow.conversation_id == ConversationRow.id)
                .where(
                    ConversationRow.customer_id == customer_id,
                    MessageRow.meta[CHANNEL_REF].as_string() == ref,
                )
                .order_by(MessageRow.id)
                .limit(1)
            )
            return None if row is None else row.to_value()

    async def record_edit(self, message_id: int, text: str) -> Message:
        """Remember the customer's edit of a message; the original text is kept.

        Raises:
            NotFound: no such message.
        """
        async with self._tx(write=True) as session:
            row = await session.get(MessageRow, message_id)
            if row is None:
                raise NotFound("message", message_id)
            row.edited_text = text
            row.edited_at = self._clock()
            await session.flush()
            return row.to_value()

    async def record_channel_ref(self, message_id: int, ref: str) -> bool:
        """Remember the channel's own id of a message we delivered; False if no such message."""
        # After every reply on a push channel: a Core unit (see handoff.store.hot).
        return await self._hot.write(
            functools.partial(hot.record_channel_ref, message_id=message_id, ref=ref)
        )

    async def set_unreachable(self, customer_id: int, unreachable: bool) -> None:
        """Flag (or clear) that the customer's channel refuses delivery. Raises NotFound."""
        async with self._tx(write=True) as session:
            updated = await session.scalar(
                update(CustomerRow)
                .where(CustomerRow.id == customer_id)
                .values(unreachable_at=self._clock() if unreachable else None)
                .returning(CustomerRow.id)
                .execution_options(synchronize_session=False)
            )
            if updated is None:
                raise NotFound("customer", customer_id)

    async def move_customer(self, customer_id: int, external_id: str) -> None:
        """Give the customer a new id on their channel (a Telegram chat migrated).

        Raises:
            NotFound: no such customer.
        """
        async with self._tx(write=True) as session:
            updated = await session.scalar(
                update(CustomerRow)
                .where(CustomerRow.id == customer_id)
                .values(external_id=external_id)
                .returning(CustomerRow.id)
                .execution_options(synchronize_session=False)
            )
            if updated is None:
                raise NotFound("customer", customer_id)

    # Telegram staff group ---------------------------------------------------------------

    async def telegram_topic(self, conversation_id: UUID) -> int | None:
        """The staff group's forum topic of the conversation, if one was opened."""
        async with self._tx(write=False) as session:
            row = await session.get(ConversationRow, conversation_id)
            if row is None:
                raise NotFound("conversation", conversation_id)
            return row.telegram_topic_id

    async def set_telegram_topic(self, conversation_id: UUID, topic_id: int | None) -> None:
        """Remember (or forget) the conversation's forum topic. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await self._locked_conversation(session, conversation_id)
            row.telegram_topic_id = topic_id

    async def conversation_for_topic(self, topic_id: int) -> UUID | None:
        """The conversation a forum topic belongs to (the newest, if reused)."""
        async with self._tx(write=False) as session:
            found: UUID | None = await session.scalar(
                select(ConversationRow.id)
                .where(ConversationRow.telegram_topic_id == topic_id)
                .order_by(ConversationRow.created_at.desc())
                .limit(1)
            )
            return found

    async def set_agent_telegram_user(self, agent_id: int, user_id: int | None) -> None:
        """Register the agent's Telegram user id (None removes it). Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await session.get(AgentRow, agent_id)
            if row is None:
                raise NotFound("agent", agent_id)
            row.telegram_user_id = user_id

    async def telegram_user_ids(self) -> dict[int, int]:
        """Each agent's registered Telegram user id, by agent id (agents without one left out)."""
        async with self._tx(write=False) as session:
            rows = await session.execute(
                select(AgentRow.id, AgentRow.telegram_user_id).where(
                    AgentRow.telegram_user_id.is_not(None)
                )
            )
            return {agent_id: user_id for agent_id, user_id in rows if user_id is not None}

    async def agent_for_telegram_user(self, user_id: int) -> Agent | None:
        """The active agent registered with this Telegram user id, if any."""
        async with self._tx(write=False) as session:
            row = await _agent_row(session, user_id)
            return None if row is None or not row.active else row.to_value()


async def _agent_row(session: AsyncSession, user_id: int) -> AgentRow | None:
    return await session.scalar(select(AgentRow).where(AgentRow.telegram_user_id == user_id))
