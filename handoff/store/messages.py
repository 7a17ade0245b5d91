"""The transcript on SQL: receiving a customer's message, appending replies, reading back.

The transcript is append-only (docs/architecture.md, "The store"): corrections are new
messages or edits kept beside the original. Receiving a message and storing a turn's
replies are the two transactions of every message, so they are Core units (see
:mod:`handoff.store.core_units`); reading the transcript for views uses the ORM.

``seq`` comes from ``UPDATE conversation SET last_seq = last_seq + n ... RETURNING`` in the
appending transaction: the row lock serialises appenders and a rolled-back append leaves
no gap. Races that end in a unique violation (same external id, first message of a new
customer) roll back and run again, and the retry finds the winner's row.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, insert, select, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import QueryableAttribute

from handoff.errors import NotFound
from handoff.model import (
    CHANNEL_REF,
    DeliveryOutcome,
    Message,
    NewMessage,
    Received,
    SenderKind,
    TranscriptLine,
)
from handoff.store.base import SqlBase, aware
from handoff.store.conversations import conversation_row, open_for
from handoff.store.customers import customer_for_message, customer_row
from handoff.store.tables import (
    AgentRow,
    Base,
    ConversationRow,
    MessageRow,
    conversation_value,
    customer_value,
    message_value,
)

_conversation = Base.metadata.tables[ConversationRow.__tablename__]
_message = Base.metadata.tables[MessageRow.__tablename__]
_agent = Base.metadata.tables[AgentRow.__tablename__]

# The statements of the units, built once (see handoff.store.customers).


def _with_agent() -> Any:
    # An outer join: the agent's name is None for customer, bot and system messages.
    return select(_message, _agent.c.name.label("agent_name")).outerjoin(
        _agent, _message.c.agent_id == _agent.c.id
    )


_TAKE_SEQS = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(last_seq=_conversation.c.last_seq + bindparam("b_count"), updated_at=bindparam("b_now"))
    .returning(_conversation.c.last_seq)
)
_MESSAGES_BY_EXTERNAL_IDS = _with_agent().where(
    _message.c.external_id.in_(bindparam("b_external_ids", expanding=True))
)
_MESSAGE_IDS = select(_message.c.id).where(_message.c.id.in_(bindparam("b_ids", expanding=True)))
# The replies of a turn all answer one message: an expanding IN is rendered again at every
# execution, which made the check cost half as much again as this one.
_MESSAGE_ID = select(_message.c.id).where(_message.c.id == bindparam("b_id"))
_AGENT_NAMES = select(_agent.c.id, _agent.c.name).where(
    _agent.c.id.in_(bindparam("b_ids", expanding=True))
)
_NEW_MESSAGES = insert(_message).returning(*_message.c, sort_by_parameter_order=True)
_MESSAGE_BY_EXTERNAL_ID = _with_agent().where(_message.c.external_id == bindparam("b_external_id"))
# A turn's history: every message column but the conversation (the caller knows it).
# A turn reads back only what its memory is rebuilt from (TranscriptLine): loading whole
# messages (buttons, times, delivery, the agent's name) took three times the CPU.
_HISTORY = (
    select(_message.c.id, _message.c.seq, _message.c.sender, _message.c.text, _message.c.meta)
    .where(
        _message.c.conversation_id == bindparam("b_conversation_id"),
        _message.c.seq >= bindparam("b_from_seq"),
        _message.c.seq < bindparam("b_to_seq"),
    )
    .order_by(_message.c.seq)
)


class MessagesSql(SqlBase):
    """The transcript part of the SQL store."""

    async def receive_message(
        self,
        *,
        channel: str,
        sender_id: str,
        message: NewMessage,
        display_name: str | None = None,
        language: str | None = None,
        history: int = 0,
        create_customer: bool = True,
    ) -> Received:
        """Store a customer's message in their open conversation, in one transaction.

        The customer (unless ``create_customer`` is False: then an unknown sender raises
        NotFound) and the conversation are created when new; ``language``, the
        language the message was detected in, becomes the conversation's; ``history``
        messages of the conversation before this one come back with it. Idempotent on
        ``message.external_id``: a redelivered message returns the stored one, with the
        conversation it was stored in (which may have closed since), and opens nothing.
        """
        return await self._units.write(
            functools.partial(
                receive,
                now=self._clock(),
                channel=channel,
                sender_id=sender_id,
                message=message,
                display_name=display_name,
                language=language,
                history=history,
                create_customer=create_customer,
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

        return await self._units.write(
            functools.partial(
                append, now=self._clock(), conversation_id=conversation_id, messages=messages
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

    async def record_deliveries(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Record how delivering several messages went, in one transaction. Raises NotFound."""
        # After the replies to a message on a push channel: one write for all of them.
        if outcomes:
            await self._units.write(functools.partial(record_deliveries, outcomes=outcomes))

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

    # What channels record about messages ----------------------------------------------

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
        # After every reply on a push channel: a Core unit.
        return await self._units.write(
            functools.partial(record_channel_ref, message_id=message_id, ref=ref)
        )


# The meta kinds of bot replies that mean the bot could not answer the message replied to.
_UNANSWERED_KINDS = ("fallback", "handoff")


def _messages_with_agent() -> Select[MessageRow, str]:
    # An outer join: the agent's name is None for customer, bot and system messages.
    return select(MessageRow, AgentRow.name).outerjoin(AgentRow, MessageRow.agent_id == AgentRow.id)


# Units ----------------------------------------------------------------------------------


def receive(
    connection: Connection,
    *,
    now: datetime,
    channel: str,
    sender_id: str,
    message: NewMessage,
    display_name: str | None,
    language: str | None,
    history: int,
    create_customer: bool = True,
) -> Received:
    """See :meth:`handoff.store.port.Store.receive_message`.

    Raises:
        NotFound: no such customer and ``create_customer`` is False (nothing written).
    """
    if message.external_id is not None:
        found = _received_before(connection, message.external_id)
        if found is not None:
            return found
    customer = customer_for_message(
        connection,
        now=now,
        channel=channel,
        sender_id=sender_id,
        display_name=display_name,
        create=create_customer,
    )
    conversation = open_for(connection, customer, now, language)
    [(stored, _)] = append(connection, now, conversation.id, [message], looked_up=True)
    earlier: list[TranscriptLine] = []
    if history > 0 and stored.seq > 1:
        rows = connection.execute(
            _HISTORY,
            {
                "b_conversation_id": conversation.id,
                "b_from_seq": stored.seq - history,
                "b_to_seq": stored.seq,
            },
        )
        earlier = [
            TranscriptLine(id_, seq, SenderKind(sender), text, dict(meta))
            for id_, seq, sender, text, meta in rows
        ]
    # The conversation as it is after the append (last_seq moved on).
    return Received(
        customer_value(customer),
        conversation_value(_with_seq(conversation, stored.seq, now)),
        stored,
        created=True,
        history=tuple(earlier),
    )


def append(
    connection: Connection,
    now: datetime,
    conversation_id: UUID,
    messages: Sequence[NewMessage],
    *,
    looked_up: bool = False,
) -> list[tuple[Message, bool]]:
    """Append ``messages`` in order; ``looked_up``: the caller found none of their
    external ids. See :meth:`handoff.store.port.Store.append_messages`."""
    existing: dict[str, Message] = {}
    keys = [m.external_id for m in messages if m.external_id is not None]
    if keys and not looked_up:
        for row in connection.execute(_MESSAGES_BY_EXTERNAL_IDS, {"b_external_ids": keys}):
            existing[row.external_id] = message_value(row, row.agent_name)
    new = [m for m in messages if m.external_id not in existing]
    names = _agent_names(connection, {m.agent_id for m in new})
    _check_replied_to(connection, {m.reply_to for m in new})
    stored: list[Message] = []
    if new:
        last = connection.execute(
            _TAKE_SEQS, {"b_id": conversation_id, "b_count": len(new), "b_now": now}
        ).scalar()
        if last is None:
            raise NotFound("conversation", conversation_id)
        first = last - len(new) + 1
        rows = connection.execute(
            _NEW_MESSAGES,
            [_message_values(conversation_id, seq, m, now) for seq, m in enumerate(new, first)],
        )
        stored = [
            message_value(row, names.get(m.agent_id)) for row, m in zip(rows, new, strict=True)
        ]
    fresh = iter(stored)
    return [
        (existing[m.external_id], False) if m.external_id in existing else (next(fresh), True)
        for m in messages
    ]


def record_deliveries(connection: Connection, outcomes: Sequence[DeliveryOutcome]) -> None:
    """See :meth:`handoff.store.port.Store.record_deliveries`."""
    for outcome in outcomes:
        values: dict[str, Any] = {"delivery": outcome.status.value, "delivery_error": outcome.error}
        if outcome.channel_ref is not None:
            row = connection.execute(
                select(_message.c.meta).where(_message.c.id == outcome.message_id)
            ).first()
            if row is None:
                raise NotFound("message", outcome.message_id)
            # The text stays as it was said; only delivery bookkeeping changes.
            values["meta"] = {**(row.meta or {}), CHANNEL_REF: outcome.channel_ref}
        updated = connection.execute(
            update(_message)
            .where(_message.c.id == outcome.message_id)
            .values(**values)
            .returning(_message.c.id)
        ).first()
        if updated is None:
            raise NotFound("message", outcome.message_id)


def record_channel_ref(connection: Connection, message_id: int, ref: str) -> bool:
    """See :meth:`handoff.store.port.Store.record_channel_ref`."""
    row = connection.execute(select(_message.c.meta).where(_message.c.id == message_id)).first()
    if row is None:
        return False
    # The text stays as it was said; only delivery bookkeeping changes.
    connection.execute(
        update(_message)
        .where(_message.c.id == message_id)
        .values(meta={**(row.meta or {}), CHANNEL_REF: ref})
    )
    return True


def _received_before(connection: Connection, external_id: str) -> Received | None:
    row = connection.execute(_MESSAGE_BY_EXTERNAL_ID, {"b_external_id": external_id}).first()
    if row is None:
        return None
    conversation = conversation_row(connection, row.conversation_id)
    customer = customer_row(connection, conversation.customer_id)
    return Received(
        customer_value(customer),
        conversation_value(conversation),
        message_value(row, row.agent_name),
        created=False,
    )


def _agent_names(connection: Connection, agent_ids: set[int | None]) -> dict[int | None, str]:
    wanted = {a for a in agent_ids if a is not None}
    if not wanted:
        return {}
    found = connection.execute(_AGENT_NAMES, {"b_ids": sorted(wanted)})
    names: dict[int | None, str] = {agent_id: name for agent_id, name in found}
    for agent_id in wanted - names.keys():
        raise NotFound("agent", agent_id)
    return names


def _check_replied_to(connection: Connection, ids: set[int | None]) -> None:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return
    if len(wanted) == 1:
        [only] = wanted
        found = set(connection.execute(_MESSAGE_ID, {"b_id": only}).scalars())
    else:
        found = set(connection.execute(_MESSAGE_IDS, {"b_ids": sorted(wanted)}).scalars())
    for message_id in wanted - found:
        raise NotFound("message", message_id)


def _message_values(
    conversation_id: UUID, seq: int, message: NewMessage, now: datetime
) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "seq": seq,
        "sender": message.sender.value,
        "agent_id": message.agent_id,
        "text": message.text,
        "external_id": message.external_id,
        "reply_to": message.reply_to,
        "buttons": [{"title": b.title, "payload": b.payload} for b in message.buttons],
        "meta": dict(message.meta),
        "delivery": message.delivery.value,
        "delivery_error": None,
        "created_at": now,
        "edited_text": None,
        "edited_at": None,
    }


def _with_seq(conversation: Row[Any], last_seq: int, now: datetime) -> SimpleNamespace:
    return SimpleNamespace(**{**conversation._mapping, "last_seq": last_seq, "updated_at": now})
