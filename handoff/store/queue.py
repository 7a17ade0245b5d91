"""Handoffs and the queue on SQL: asking for a person, waiting in line, the history.

A handoff request moves a conversation from the bot to its team's queue; the queue is
ordered by request time within each team. Who then owns the conversation (claims,
assignment, release, transfers, resolving) is :mod:`handoff.store.ownership`.

Requesting a handoff and a waiting customer's place in the queue are asked in a
customer's turn, so they are Core units (see :mod:`handoff.store.core_units`); the
request locks the conversation row first (``SELECT ... FOR UPDATE`` on PostgreSQL; on
SQLite the write transaction's ``BEGIN IMMEDIATE`` holds the database write lock) and
checks the transition there.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, TypeVarTuple
from uuid import UUID

from sqlalchemy import Select, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from handoff.model import (
    ConversationState,
    Handoff,
    HandoffReason,
    QueueEntry,
    SenderKind,
)
from handoff.states import Move, check_move
from handoff.store.base import SqlBase
from handoff.store.conversations import conversation_row
from handoff.store.tables import (
    Base,
    ConversationRow,
    CustomerRow,
    HandoffRow,
    MessageRow,
    handoff_value,
)

Ts = TypeVarTuple("Ts")
_QUEUED = ConversationState.QUEUED.value

_conversation = Base.metadata.tables[ConversationRow.__tablename__]
_handoff = Base.metadata.tables[HandoffRow.__tablename__]

# The statements of the units, built once (see handoff.store.customers).
_OPEN_HANDOFF = (
    select(_handoff)
    .where(_handoff.c.conversation_id == bindparam("b_id"), _handoff.c.resolved_at.is_(None))
    .order_by(_handoff.c.id.desc())
    .limit(1)
)
_QUEUE = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(state=bindparam("b_state"), team=bindparam("b_team"), updated_at=bindparam("b_now"))
)
_NEW_HANDOFF = insert(_handoff).returning(*_handoff.c)


class QueueSql(SqlBase):
    """The handoff and queue part of the SQL store."""

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
        # A Core unit, as the rest of a handoff turn.
        return await self._units.write(
            functools.partial(
                request_handoff,
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
        # Asked on every message of a waiting customer: a Core unit.
        return await self._units.read(
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

    async def handoffs(self, conversation_id: UUID) -> list[Handoff]:
        """Every handoff of a conversation, oldest first."""
        async with self._tx(write=False) as session:
            rows = await session.scalars(
                select(HandoffRow)
                .where(HandoffRow.conversation_id == conversation_id)
                .order_by(HandoffRow.requested_at, HandoffRow.id)
            )
            return [row.to_value() for row in rows]


# Units ----------------------------------------------------------------------------------


def request_handoff(
    connection: Connection,
    *,
    now: datetime,
    conversation_id: UUID,
    reason: HandoffReason,
    team: str | None,
    summary: str | None,
    promised_wait_s: int | None,
    detail: str | None,
) -> Handoff:
    """See :meth:`handoff.store.port.Store.request_handoff`."""
    conversation = conversation_row(connection, conversation_id, lock=True)
    state = check_move(
        conversation_id,
        Move.REQUEST_HANDOFF,
        ConversationState(conversation.state),
        closed=conversation.closed_at is not None,
    )
    connection.execute(
        _QUEUE, {"b_id": conversation_id, "b_state": state.value, "b_team": team, "b_now": now}
    )
    row = connection.execute(
        _NEW_HANDOFF,
        {
            "conversation_id": conversation_id,
            "reason": reason.value,
            "team": team,
            "requested_at": now,
            "claimed_at": None,
            "resolved_at": None,
            "agent_id": None,
            "summary": summary,
            "promised_wait_s": promised_wait_s,
            "detail": None if detail is None else detail[:255],
            "released_by": None,
        },
    ).one()
    return handoff_value(row)


def open_handoff_row(connection: Connection, conversation_id: UUID) -> Any:
    """The conversation's handoff that is not resolved yet, or None."""
    return connection.execute(_OPEN_HANDOFF, {"b_id": conversation_id}).first()


def _queue_position(connection: Connection, conversation_id: UUID) -> int | None:
    conv = connection.execute(_CONVERSATION_STATE, {"b_id": conversation_id}).first()
    mine = connection.execute(_OPEN_HANDOFF_TIME, {"b_id": conversation_id}).first()
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
_OPEN_HANDOFF_TIME = (
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
