"""Handoffs, the queue and ownership of conversations, on SQL.

Exclusivity lives in the database: a claim is a conditional ``UPDATE ... WHERE state =
'queued' AND owner_agent_id IS NULL``, and whoever updates no row lost. Other state changes
lock the conversation row first (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite every
write transaction holds the write lock from ``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import functools
from typing import TypeVarTuple
from uuid import UUID

from sqlalchemy import Select, and_, bindparam, func, or_, select, update
from sqlalchemy.engine import Connection

from handoff.errors import AlreadyClaimed, IllegalTransition, NotFound, NotOwner
from handoff.model import (
    Conversation,
    ConversationState,
    Handoff,
    HandoffReason,
    QueueEntry,
    SenderKind,
)
from handoff.states import check_transition
from handoff.store import hot_handoff
from handoff.store.sql_base import SqlBase, conversation_target
from handoff.store.tables import AgentRow, ConversationRow, CustomerRow, HandoffRow, MessageRow

Ts = TypeVarTuple("Ts")
_QUEUED = ConversationState.QUEUED.value


class QueueSql(SqlBase):
    """The handoff, queue and ownership part of the SQL store."""

    async def request_handoff(
        self,
        conversation_id: UUID,
        *,
        reason: HandoffReason,
        team: str | None = None,
        summary: str | None = None,
        promised_wait_s: int | None = None,
        detail: str | None = None,
    ) -> Handoff:
        """Move a BOT conversation to QUEUED (in ``team``'s queue) and open a handoff.

        ``detail`` says what exactly set it off (e.g. which word), for ``handoff explain``.

        Raises:
            IllegalTransition: the conversation is not with the bot, or is closed.
            NotFound: no such conversation.
        """
        # A Core unit, as the rest of a handoff turn (see handoff.store.hot_handoff).
        return await self._hot.write(
            functools.partial(
                hot_handoff.request_handoff,
                now=self._clock(),
                conversation_id=conversation_id,
                reason=reason,
                team=team,
                summary=summary,
                promised_wait_s=promised_wait_s,
                detail=detail,
            )
        )

    async def record_promise(
        self, conversation_id: UUID, *, low_s: int, high_s: int, point_s: int
    ) -> None:
        """See :meth:`handoff.store.port.Store.record_promise`."""
        async with self._tx(write=True) as session:
            row = await self._open_handoff(session, conversation_id)
            if row is not None:
                row.promised_low_s, row.promised_high_s = low_s, high_s
                row.promised_wait_s = point_s

    async def current_handoff(self, conversation_id: UUID) -> Handoff | None:
        """The conversation's handoff that is not resolved yet, if any."""
        async with self._tx(write=False) as session:
            row = await self._open_handoff(session, conversation_id)
            return None if row is None else row.to_value()

    async def queue_position(self, conversation_id: UUID) -> int | None:
        """1-based place in the team's queue, by handoff request time (None if not queued)."""
        # Asked on every message of a waiting customer: a Core unit (see handoff.store.hot).
        return await self._hot.read(
            functools.partial(_queue_position, conversation_id=conversation_id)
        )

    async def queue(self, *, team: str | None = None) -> list[QueueEntry]:
        """QUEUED conversations, oldest handoff first; all teams when ``team`` is None."""
        last_text = (
            select(MessageRow.text)
            .where(
                MessageRow.conversation_id == ConversationRow.id,
                MessageRow.sender == SenderKind.CUSTOMER.value,
            )
            .order_by(MessageRow.seq.desc())
            .limit(1)
            .scalar_subquery()
        )
        query = (
            _queued_handoffs(select(ConversationRow, HandoffRow, CustomerRow, last_text))
            .join(CustomerRow, CustomerRow.id == ConversationRow.customer_id)
            .order_by(HandoffRow.requested_at, HandoffRow.id)
        )
        if team is not None:
            query = query.where(ConversationRow.team == team)
        async with self._tx(write=False) as session:
            rows = (await session.execute(query)).all()
        entries: list[QueueEntry] = []
        positions: dict[str | None, int] = {}
        for conv, handoff, customer, text in rows:
            positions[conv.team] = positions.get(conv.team, 0) + 1
            entries.append(
                QueueEntry(
                    conversation=conv.to_value(),
                    handoff=handoff.to_value(),
                    customer=customer.to_value(),
                    position=positions[conv.team],
                    last_customer_text=text,
                )
            )
        return entries

    async def claim(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Give a QUEUED conversation to an agent, exclusively, even under concurrency.

        Raises:
            AlreadyClaimed: another agent won, or the conversation is not queued.
            NotFound: no such conversation or agent.
        """
        async with self._tx(write=True) as session:
            agent = await session.get(AgentRow, agent_id)
            if agent is None:
                raise NotFound("agent", agent_id)
            check_transition(conversation_id, ConversationState.QUEUED, ConversationState.AGENT)
            now = self._clock()
            won = await session.scalar(
                update(ConversationRow)
                .where(
                    ConversationRow.id == conversation_id,
                    ConversationRow.state == _QUEUED,
                    ConversationRow.owner_agent_id.is_(None),
                    ConversationRow.closed_at.is_(None),
                )
                .values(
                    state=ConversationState.AGENT.value, owner_agent_id=agent_id, updated_at=now
                )
                .returning(ConversationRow)
                .execution_options(synchronize_session=False)
            )
            if won is None:
                current = await session.get(ConversationRow, conversation_id)
                if current is None:
                    raise NotFound("conversation", conversation_id)
                raise AlreadyClaimed(conversation_id, current.owner_agent_id)
            handoff = await self._open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.claimed_at, handoff.agent_id = now, agent_id
            agent.last_assigned_at = now  # routing prefers whoever has waited longest
            session.add(
                self._audit_row(f"agent:{agent_id}", "claim", conversation_target(conversation_id))
            )
            return won.to_value()

    async def release(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Put an AGENT conversation back in the queue, keeping its place by request time.

        Raises:
            NotOwner: the agent does not own the conversation.
            NotFound: no such conversation.
        """
        async with self._tx(write=True) as session:
            conv = await self._locked_conversation(session, conversation_id)
            if conv.state != ConversationState.AGENT.value or conv.owner_agent_id != agent_id:
                raise NotOwner(conversation_id, agent_id)
            check_transition(conversation_id, ConversationState.AGENT, ConversationState.QUEUED)
            conv.state, conv.owner_agent_id, conv.updated_at = _QUEUED, None, self._clock()
            handoff = await self._open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.claimed_at, handoff.agent_id = None, None
                handoff.released_by = agent_id  # routing does not hand it straight back
            session.add(
                self._audit_row(
                    f"agent:{agent_id}", "release", conversation_target(conversation_id)
                )
            )
            await session.flush()
            return conv.to_value()

    async def resolve(self, conversation_id: UUID, *, agent_id: int | None) -> Conversation:
        """Close the conversation (state BOT, ``closed_at`` set) and its open handoff.

        A conversation still with the bot may be closed too (no state change).

        Raises:
            NotOwner: ``agent_id`` is given and that agent does not own the conversation.
            IllegalTransition: the conversation is closed already.
            NotFound: no such conversation.
        """
        async with self._tx(write=True) as session:
            conv = await self._locked_conversation(session, conversation_id)
            if conv.closed_at is not None:
                raise IllegalTransition(conversation_id, conv.state, "closed")
            if agent_id is not None and conv.owner_agent_id != agent_id:
                raise NotOwner(conversation_id, agent_id)
            state = ConversationState(conv.state)
            if state is not ConversationState.BOT:
                check_transition(conversation_id, state, ConversationState.BOT)
            now = self._clock()
            conv.state, conv.owner_agent_id = ConversationState.BOT.value, None
            conv.updated_at = conv.closed_at = now
            handoff = await self._open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.resolved_at = now
            actor = "system" if agent_id is None else f"agent:{agent_id}"
            session.add(self._audit_row(actor, "resolve", conversation_target(conversation_id)))
            await session.flush()
            return conv.to_value()

    async def agent_conversations(self, agent_id: int) -> list[Conversation]:
        """Open conversations the agent owns, oldest first."""
        return await self._conversations(
            select(ConversationRow)
            .where(ConversationRow.owner_agent_id == agent_id, ConversationRow.closed_at.is_(None))
            .order_by(ConversationRow.created_at, ConversationRow.id)
        )

    async def recent_conversations(self, *, limit: int = 50) -> list[Conversation]:
        """Most recently updated conversations, newest first."""
        return await self._conversations(
            select(ConversationRow)
            .order_by(ConversationRow.updated_at.desc(), ConversationRow.id)
            .limit(limit)
        )

    async def _conversations(self, query: Select[ConversationRow]) -> list[Conversation]:
        async with self._tx(write=False) as session:
            rows = await session.scalars(query)
            return [row.to_value() for row in rows]


def _queue_position(connection: Connection, conversation_id: UUID) -> int | None:
    conv = connection.execute(_CONVERSATION_STATE, {"b_id": conversation_id}).first()
    mine = connection.execute(_OPEN_HANDOFF, {"b_id": conversation_id}).first()
    if conv is None or conv.state != _QUEUED or mine is None:
        return None
    return connection.execute(
        _PLACE_IN_QUEUE,
        {"b_team": conv.team, "b_requested_at": mine.requested_at, "b_handoff_id": mine.id},
    ).scalar()


def _queued_handoffs(query: Select[*Ts]) -> Select[*Ts]:
    """Join ``query`` to QUEUED conversations and their open handoff."""
    return (
        query.select_from(ConversationRow)
        .join(
            HandoffRow,
            and_(
                HandoffRow.conversation_id == ConversationRow.id, HandoffRow.resolved_at.is_(None)
            ),
        )
        .where(ConversationRow.state == _QUEUED)
    )


# The statements of _queue_position (asked on every message of a waiting customer), built
# once: building and keying them per call cost more CPU than running them.
_CONVERSATION_STATE = select(ConversationRow.state, ConversationRow.team).where(
    ConversationRow.id == bindparam("b_id")
)
_OPEN_HANDOFF = (
    select(HandoffRow.id, HandoffRow.requested_at)
    .where(HandoffRow.conversation_id == bindparam("b_id"), HandoffRow.resolved_at.is_(None))
    .order_by(HandoffRow.id.desc())
    .limit(1)
)
# Handoffs ahead of the given one, and itself, in the same team's queue, where no team
# (NULL) is a queue of its own.
_PLACE_IN_QUEUE = (
    _queued_handoffs(select(func.count()))
    .where(ConversationRow.team.is_not_distinct_from(bindparam("b_team")))
    .where(
        or_(
            HandoffRow.requested_at < bindparam("b_requested_at"),
            and_(
                HandoffRow.requested_at == bindparam("b_requested_at"),
                HandoffRow.id <= bindparam("b_handoff_id"),
            ),
        )
    )
)
