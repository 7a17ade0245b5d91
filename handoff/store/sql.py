"""The :class:`~handoff.store.port.Store` on SQLAlchemy: SQLite or PostgreSQL.

Each public method is one transaction. Ordering and exclusivity live in the database, not
in memory, so several processes may share one PostgreSQL database:

* transcript ``seq`` comes from ``UPDATE conversation SET last_seq = last_seq + 1 ...
  RETURNING`` in the appending transaction: the row lock serialises appenders and a
  rolled-back append leaves no gap;
* a claim is a conditional ``UPDATE ... WHERE state = 'queued' AND owner_agent_id IS NULL``;
  whoever updates no row lost;
* other state changes lock the conversation row (``SELECT ... FOR UPDATE`` on PostgreSQL;
  on SQLite every write transaction holds the database write lock from ``BEGIN IMMEDIATE``);
* races that end in a unique violation (same external id, first message of a new customer)
  roll back and retry, and the retry finds the winner's row.

The store is split by concern: this module (customers, conversations, transcript),
:mod:`~handoff.store.sql_queue` (handoffs, queue, ownership), :mod:`~handoff.store.sql_staff`
(agents, notices, audit) and :mod:`~handoff.store.sql_base` (transactions, and translation
of database errors into the :mod:`handoff.errors` tree). ORM rows never leave them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute

from handoff.errors import StoreUnavailable
from handoff.model import (
    Conversation,
    Customer,
    DeliveryStatus,
    Message,
    NewMessage,
    Received,
    SenderKind,
)
from handoff.store import hot, hot_handoff
from handoff.store.engine import create_engine_for
from handoff.store.migrate import migrate_engine
from handoff.store.sql_attachments import AttachmentsSql
from handoff.store.sql_base import Clock, aware, utc_now
from handoff.store.sql_channels import ChannelsSql
from handoff.store.sql_desk import DeskSql
from handoff.store.sql_inbox import InboxSql
from handoff.store.sql_privacy import PrivacySql
from handoff.store.sql_queue import QueueSql
from handoff.store.sql_saved_replies import SavedRepliesSql
from handoff.store.sql_staff import StaffSql
from handoff.store.sql_stats import StatsSql
from handoff.store.sql_time import TimeSql
from handoff.store.tables import AgentRow, ConversationRow, CustomerRow, MessageRow


class SqlStore(
    QueueSql,
    InboxSql,
    SavedRepliesSql,
    StaffSql,
    ChannelsSql,
    DeskSql,
    TimeSql,
    PrivacySql,
    StatsSql,
    AttachmentsSql,
):
    """Helpline's persistence on SQLite or PostgreSQL: the :class:`~handoff.store.port.Store`.

    Args:
        engine: from :func:`handoff.store.engine.create_engine_for`; the store owns it
            from now on and disposes it in :meth:`close`.
        clock: returns the current aware UTC time; tests pass a fake.
    """

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True, clock: Clock = utc_now) -> SqlStore:
        """Connect to ``url`` and, unless told otherwise, upgrade its schema first.

        Raises:
            StoreUnavailable: the database could not be reached or migrated.
        """
        engine = create_engine_for(url)
        if migrate:
            try:
                await migrate_engine(engine)
            except StoreUnavailable:
                await engine.dispose()
                raise
        return cls(engine, clock=clock)

    # Customers and conversations ------------------------------------------------------

    async def upsert_customer(
        self,
        *,
        channel: str,
        external_id: str,
        display_name: str | None = None,
        language: str | None = None,
    ) -> Customer:
        """Return the customer with this channel identity, creating it when new."""

        async def work(session: AsyncSession) -> Customer:
            row = await session.scalar(
                select(CustomerRow).where(
                    CustomerRow.channel == channel, CustomerRow.external_id == external_id
                )
            )
            if row is None:
                row = CustomerRow(channel=channel, external_id=external_id)
                row.created_at = self._clock()
                session.add(row)
            if display_name is not None:
                row.display_name = display_name
            if language is not None:
                row.language = language
            await session.flush()
            return row.to_value()

        return await self._write_retrying(work)

    async def get_customer(self, customer_id: int) -> Customer:
        """Raises NotFound."""
        # Read to announce every assignment: a Core unit (see handoff.store.hot_handoff).
        return await self._hot.read(
            functools.partial(hot_handoff.get_customer, customer_id=customer_id)
        )

    async def find_customer(self, *, channel: str, external_id: str) -> Customer | None:
        """The customer with this channel identity, or None."""
        return await self._hot.read(
            functools.partial(hot.find_customer, channel=channel, external_id=external_id)
        )

    async def open_conversation(self, customer_id: int) -> Conversation:
        """Return the customer's open conversation, starting one in state BOT if none is open.

        The customer row lock (PostgreSQL) or the write lock (SQLite) serialises two first
        messages; the partial unique index on open conversations backs that up.
        """
        return await self._hot.write(
            functools.partial(hot.open_conversation, now=self._clock(), customer_id=customer_id)
        )

    async def get_conversation(self, conversation_id: UUID) -> Conversation:
        """Raises NotFound."""
        # Read twice by a handoff turn: a Core unit (see handoff.store.hot_handoff).
        return await self._hot.read(
            functools.partial(hot_handoff.get_conversation, conversation_id=conversation_id)
        )

    async def set_conversation_language(self, conversation_id: UUID, language: str) -> None:
        """Remember the language the conversation is held in. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await self._locked_conversation(session, conversation_id)
            row.language = language

    # Transcript -----------------------------------------------------------------------

    async def receive_message(
        self,
        *,
        channel: str,
        sender_id: str,
        message: NewMessage,
        display_name: str | None = None,
        language: str | None = None,
        history: int = 0,
    ) -> Received:
        """Store a customer's message in their open conversation, in one transaction.

        The customer and the conversation are created when new; ``language``, the
        language the message was detected in, becomes the conversation's; ``history``
        messages of the conversation before this one come back with it. Idempotent on
        ``message.external_id``: a redelivered message returns the stored one, with the
        conversation it was stored in (which may have closed since), and opens nothing.
        """
        return await self._hot.write(
            functools.partial(
                hot.receive,
                now=self._clock(),
                channel=channel,
                sender_id=sender_id,
                message=message,
                display_name=display_name,
                language=language,
                history=history,
            )
        )

    async def append_message(
        self, conversation_id: UUID, message: NewMessage
    ) -> tuple[Message, bool]:
        """Append to the transcript; idempotent on ``message.external_id``.

        External ids are unique across all conversations, so channels should namespace
        them (``"telegram:<update_id>"``).

        Returns:
            The stored message and whether it was created now.

        Raises:
            NotFound: no such conversation, or no such agent / replied-to message.
        """
        [appended] = await self.append_messages(conversation_id, [message])
        return appended

    async def append_messages(
        self, conversation_id: UUID, messages: Sequence[NewMessage]
    ) -> list[tuple[Message, bool]]:
        """Append several messages in order, in one transaction (a turn's replies).

        Each is idempotent on its ``external_id`` as in :meth:`append_message`.

        Raises:
            NotFound: no such conversation, or no such agent / replied-to message.
        """

        return await self._hot.write(
            functools.partial(
                hot.append, now=self._clock(), conversation_id=conversation_id, messages=messages
            )
        )

    async def _messages(
        self, *where: ColumnElement[bool], order: QueryableAttribute[Any]
    ) -> list[Message]:
        async with self._tx(write=False) as session:
            result = await session.execute(_messages_with_agent().where(*where).order_by(order))
            return [row.to_value(name) for row, name in result]

    async def transcript(self, conversation_id: UUID, *, after_seq: int = 0) -> list[Message]:
        """Messages of one conversation with ``seq > after_seq``, in order."""
        return await self._messages(
            MessageRow.conversation_id == conversation_id,
            MessageRow.seq > after_seq,
            order=MessageRow.seq,
        )

    async def customer_messages(self, customer_id: int, *, after_id: int = 0) -> list[Message]:
        """Messages of all the customer's conversations with ``id > after_id``, oldest first."""
        in_customers = select(ConversationRow.id).where(ConversationRow.customer_id == customer_id)
        messages = await self._messages(
            MessageRow.conversation_id.in_(in_customers),
            MessageRow.id > after_id,
            order=MessageRow.id,
        )
        # Agents' internal notes are for colleagues: the customer's views never list them.
        return [m for m in messages if not m.meta.get("internal")]

    async def add_note(self, conversation_id: UUID, agent_id: int, text: str) -> Message:
        """Append an agent's internal note (meta ``internal``), never shown to the customer.

        Raises:
            NotFound: no such conversation or agent.
        """
        note = NewMessage(
            sender=SenderKind.AGENT, text=text, agent_id=agent_id, meta={"internal": True}
        )
        stored, _ = await self.append_message(conversation_id, note)
        return stored

    async def replies_to(self, message_id: int) -> list[Message]:
        """Messages stored as replies to the given message, in order."""
        return await self._messages(MessageRow.reply_to == message_id, order=MessageRow.id)

    async def set_delivery(
        self, message_id: int, status: DeliveryStatus, *, error: str | None = None
    ) -> None:
        """Record the outcome of delivering a message. Raises NotFound."""
        # After every reply on a push channel: a Core unit (see handoff.store.hot).
        await self._hot.write(
            functools.partial(hot.set_delivery, message_id=message_id, status=status, error=error)
        )

    async def unanswered_messages(
        self, *, since: datetime | None = None, limit: int = 5000
    ) -> list[Message]:
        """Customer messages the bot fell back on or handed off, oldest first.

        A message counts when a bot reply to it (``reply_to``) has the meta ``kind``
        ``fallback`` or ``handoff``. Staff read these to see which articles are missing.

        Args:
            since: Only messages stored at or after this aware time.
            limit: At most this many: the most recent ones.

        Raises:
            ValueError: ``since`` is naive.
        """
        gave_up = select(MessageRow.reply_to).where(
            MessageRow.sender == SenderKind.BOT.value,
            MessageRow.reply_to.is_not(None),
            MessageRow.meta["kind"].as_string().in_(_UNANSWERED_KINDS),
        )
        where = [MessageRow.sender == SenderKind.CUSTOMER.value, MessageRow.id.in_(gave_up)]
        if since is not None:
            where.append(MessageRow.created_at >= aware(since, "since"))
        query = _messages_with_agent().where(*where).order_by(MessageRow.id.desc()).limit(limit)
        async with self._tx(write=False) as session:
            newest_first = [row.to_value(name) for row, name in await session.execute(query)]
        return newest_first[::-1]


# The meta kinds of bot replies that mean the bot could not answer the message replied to.
_UNANSWERED_KINDS = ("fallback", "handoff")


def _messages_with_agent() -> Select[MessageRow, str]:
    # An outer join: the agent's name is None for customer, bot and system messages.
    return select(MessageRow, AgentRow.name).outerjoin(AgentRow, MessageRow.agent_id == AgentRow.id)
