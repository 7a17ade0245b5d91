"""Conversations on SQL: opening one, reading it, its language and its staff topic.

A conversation's state changes (handoff, claim, release, ...) are in
:mod:`handoff.store.queue` and :mod:`handoff.store.ownership`; this module opens
conversations and keeps their other attributes. Opening and reading are Core units (see
:mod:`handoff.store.core_units`): every message and every handoff turn uses them.
"""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row

from handoff.errors import NotFound
from handoff.model import Conversation, ConversationState
from handoff.store.base import SqlBase
from handoff.store.customers import customer_row
from handoff.store.tables import Base, ConversationRow, conversation_value

_conversation = Base.metadata.tables[ConversationRow.__tablename__]

# The statements of the units, built once (see handoff.store.customers).
_OPEN = select(_conversation).where(
    _conversation.c.customer_id == bindparam("b_customer_id"),
    _conversation.c.closed_at.is_(None),
)
_BY_ID = select(_conversation).where(_conversation.c.id == bindparam("b_id"))
_BY_ID_FOR_UPDATE = _BY_ID.with_for_update()
_NEW = insert(_conversation).returning(*_conversation.c)
_SET_LANGUAGE = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(language=bindparam("b_language"))
    .returning(*_conversation.c)
)


class ConversationsSql(SqlBase):
    """The conversation part of the SQL store."""

    async def open_conversation(self, customer_id: int) -> Conversation:
        """Return the customer's open conversation, starting one in state BOT if none is open.

        The customer row lock (PostgreSQL) or the write lock (SQLite) serialises two first
        messages; the partial unique index on open conversations backs that up.
        """
        return await self._units.write(
            functools.partial(open_conversation, now=self._clock(), customer_id=customer_id)
        )

    async def get_conversation(self, conversation_id: UUID) -> Conversation:
        """Raises NotFound."""
        # Read twice by a handoff turn: a Core unit.
        return await self._units.read(
            functools.partial(get_conversation, conversation_id=conversation_id)
        )

    async def set_conversation_language(self, conversation_id: UUID, language: str) -> None:
        """Remember the language the conversation is held in. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await self._locked_conversation(session, conversation_id)
            row.language = language

    async def recent_conversations(self, *, limit: int = 50) -> list[Conversation]:
        """Most recently updated conversations, newest first."""
        return await self._conversations(
            select(ConversationRow)
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id)
            .limit(limit)
        )

    async def customer_conversations(
        self, customer_id: int, *, limit: int = 10
    ) -> list[Conversation]:
        """The customer's conversations, newest first (the console's "earlier conversations")."""
        return await self._conversations(
            select(ConversationRow)
            .where(ConversationRow.customer_id == customer_id)
            .order_by(ConversationRow.created_at.desc(), ConversationRow.id)
            .limit(limit)
        )

    async def _conversations(self, query: Select[ConversationRow]) -> list[Conversation]:
        async with self._tx(write=False) as session:
            return [row.to_value() for row in await session.scalars(query)]

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


# Units ----------------------------------------------------------------------------------


def get_conversation(connection: Connection, conversation_id: UUID) -> Conversation:
    """See :meth:`handoff.store.port.Store.get_conversation`."""
    return conversation_value(conversation_row(connection, conversation_id))


def open_conversation(connection: Connection, now: datetime, customer_id: int) -> Conversation:
    """See :meth:`handoff.store.port.Store.open_conversation`."""
    customer = customer_row(connection, customer_id, lock=True)
    return conversation_value(open_for(connection, customer, now))


def open_for(
    connection: Connection, customer: Row[Any], now: datetime, language: str | None = None
) -> Row[Any]:
    """The customer's open conversation, started in state BOT when none is open;
    ``language``, when given, becomes its language."""
    conversation = connection.execute(_OPEN, {"b_customer_id": customer.id}).first()
    if conversation is None:
        return connection.execute(
            _NEW,
            {
                "id": uuid.uuid4(),
                "customer_id": customer.id,
                "channel": customer.channel,
                "state": ConversationState.BOT.value,
                "language": language or customer.language,
                "created_at": now,
                "updated_at": now,
                "last_seq": 0,
            },
        ).one()
    if language is not None and conversation.language != language:
        return connection.execute(
            _SET_LANGUAGE, {"b_id": conversation.id, "b_language": language}
        ).one()
    return conversation


def conversation_row(connection: Connection, conversation_id: UUID, *, lock: bool = False) -> Any:
    """The conversation's row; with ``lock``, locked until the transaction ends.

    ``FOR UPDATE`` is left out on SQLite, where ``BEGIN IMMEDIATE`` already serialises
    writers.

    Raises:
        NotFound: no such conversation.
    """
    statement = _BY_ID_FOR_UPDATE if lock else _BY_ID
    row = connection.execute(statement, {"b_id": conversation_id}).first()
    if row is None:
        raise NotFound("conversation", conversation_id)
    return row
