"""Who owns a conversation, on SQL: claims, automatic assignment, release, transfers,
handing back and resolving.

Exclusivity lives in the database, not in memory, so several processes may share one
PostgreSQL database. Every state change locks the conversation row first (``SELECT ...
FOR UPDATE`` on PostgreSQL; on SQLite every write transaction holds the database write
lock from ``BEGIN IMMEDIATE``) and checks the transition against the state it read there.

Automatic assignment chooses the agent and claims the conversation in one write
transaction, a Core unit (see :mod:`handoff.store.core_units`) because every handoff turn
tries it: the conversation row is locked first, then every online agent's row, always in
id order. On PostgreSQL concurrent assignments therefore queue up behind each other (no
deadlock, and the load they count is the committed one); on SQLite ``BEGIN IMMEDIATE``
already serialises every writer. So no agent ever goes over capacity.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta, tzinfo
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import AgentUnavailable
from handoff.model import Conversation, ConversationState, Presence
from handoff.routing import candidates_for, choose_agent
from handoff.states import Move, allows, check_move
from handoff.store.agents import AGENT_COLUMNS
from handoff.store.base import SqlBase, conversation_target
from handoff.store.conversations import conversation_row
from handoff.store.queue import open_handoff_row
from handoff.store.tables import (
    AgentRow,
    AuditRow,
    Base,
    ConversationRow,
    HandoffRow,
    agent_value,
    conversation_value,
)

_AGENT = ConversationState.AGENT.value

_conversation = Base.metadata.tables[ConversationRow.__tablename__]
_handoff = Base.metadata.tables[HandoffRow.__tablename__]
_agent = Base.metadata.tables[AgentRow.__tablename__]
_audit = Base.metadata.tables[AuditRow.__tablename__]

# The statements of the units, built once (see handoff.store.customers).
_ONLINE_AGENTS_FOR_UPDATE = (
    select(*AGENT_COLUMNS)
    .where(_agent.c.active.is_(True), _agent.c.presence == Presence.ONLINE.value)
    .order_by(_agent.c.id)
    .with_for_update()
)
_LOADS = (
    select(_conversation.c.owner_agent_id, func.count())
    .where(
        _conversation.c.state == _AGENT,
        _conversation.c.closed_at.is_(None),
        _conversation.c.owner_agent_id.is_not(None),
    )
    .group_by(_conversation.c.owner_agent_id)
)
_GIVE_TO_AGENT = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(
        state=bindparam("b_state"),
        owner_agent_id=bindparam("b_agent_id"),
        updated_at=bindparam("b_now"),
    )
    .returning(*_conversation.c)
)
_CLAIM_HANDOFF = (
    update(_handoff)
    .where(_handoff.c.id == bindparam("b_id"))
    .values(claimed_at=bindparam("b_now"), agent_id=bindparam("b_agent_id"))
)
_AGENT_ASSIGNED = (
    update(_agent)
    .where(_agent.c.id == bindparam("b_id"))
    .values(last_assigned_at=bindparam("b_now"))
)
_NEW_AUDIT = insert(_audit)


class OwnershipSql(SqlBase):
    """The ownership part of the SQL store: who handles each conversation."""

    async def claim(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Give a QUEUED conversation to an agent, exclusively, even under concurrency.

        Raises:
            AlreadyClaimed: another agent won, or the conversation is not queued.
            NotFound: no such conversation or agent.
        """
        async with self._tx(write=True) as session:
            agent = await self._agent_row(session, agent_id)
            conv, state = await self._moving(session, conversation_id, Move.CLAIM)
            now = self._clock()
            conv.state, conv.owner_agent_id, conv.updated_at = state.value, agent_id, now
            handoff = await self._open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.claimed_at, handoff.agent_id = now, agent_id
            agent.last_assigned_at = now  # routing prefers whoever has waited longest
            session.add(
                self._audit_row(f"agent:{agent_id}", "claim", conversation_target(conversation_id))
            )
            await session.flush()
            return conv.to_value()

    async def release(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Put an AGENT conversation back in the queue, keeping its place by request time.

        Raises:
            NotOwner: the agent does not own the conversation.
            NotFound: no such conversation.
        """
        async with self._tx(write=True) as session:
            conv, state = await self._moving(session, conversation_id, Move.RELEASE, agent_id)
            conv.state, conv.owner_agent_id, conv.updated_at = state.value, None, self._clock()
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

        A conversation still with the bot may be closed too (no state change); an agent
        (``agent_id``) may resolve only a conversation they own.

        Raises:
            NotOwner: ``agent_id`` is given and that agent does not own the conversation
                (:class:`~handoff.errors.NotWithAgent` when no agent does).
            IllegalTransition: the conversation is closed already.
            NotFound: no such conversation.
        """
        async with self._tx(write=True) as session:
            move = Move.CLOSE if agent_id is None else Move.RESOLVE
            conv, state = await self._moving(session, conversation_id, move, agent_id)
            now = self._clock()
            conv.state, conv.owner_agent_id = state.value, None
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
        query = (
            select(ConversationRow)
            .where(ConversationRow.owner_agent_id == agent_id, ConversationRow.closed_at.is_(None))
            .order_by(ConversationRow.created_at, ConversationRow.id)
        )
        async with self._tx(write=False) as session:
            return [row.to_value() for row in await session.scalars(query)]

    async def agent_loads(self) -> dict[int, int]:
        """How many open conversations each agent owns (agents with none are left out)."""
        # Read by the wait estimate of every handoff: a Core unit.
        return await self._units.read(agent_loads)

    async def assign(
        self, conversation_id: UUID, *, away_after: timedelta, time_zone: tzinfo = UTC
    ) -> Conversation | None:
        """Give a QUEUED conversation to the best available agent of its team, atomically.

        Available: active, online and seen within ``away_after``, serving the team, with
        free capacity, and not the agent who released it last; those who speak the
        conversation's language and are within their working hours (on ``time_zone``'s
        clock) first (see :func:`handoff.routing.choose_agent`).

        Returns:
            The conversation, now owned, or None when it stays queued (nobody available,
            or it is no longer waiting).

        Raises:
            NotFound: no such conversation.
        """
        # Tried in every handoff turn: a Core unit.
        return await self._units.write(
            functools.partial(
                assign,
                now=self._clock(),
                conversation_id=conversation_id,
                away_after=away_after,
                time_zone=time_zone,
            )
        )

    async def transfer_to_agent(
        self, conversation_id: UUID, agent_id: int, to_agent_id: int
    ) -> Conversation:
        """Hand an owned conversation straight to another agent.

        Raises:
            NotOwner: ``agent_id`` does not own the conversation.
            AgentUnavailable: the target is the same agent or deactivated.
            NotFound: no such conversation or target agent.
        """
        async with self._tx(write=True) as session:
            conv, _ = await self._moving(session, conversation_id, Move.TRANSFER, agent_id)
            target = await self._agent_row(session, to_agent_id)
            if not target.active or to_agent_id == agent_id:
                why = "deactivated" if not target.active else "already owns it"
                raise AgentUnavailable(to_agent_id, why)
            now = self._clock()
            conv.owner_agent_id, conv.updated_at = to_agent_id, now
            handoff = await self._open_handoff(session, conversation_id)
            if handoff is not None:
                # The new owner's silence is measured from now, not from the first claim.
                handoff.claimed_at, handoff.agent_id = now, to_agent_id
            target.last_assigned_at = now
            session.add(
                self._audit_row(
                    f"agent:{agent_id}",
                    "transfer",
                    conversation_target(conversation_id),
                    f"agent:{to_agent_id}",
                )
            )
            await session.flush()
            return conv.to_value()

    async def transfer_to_team(
        self, conversation_id: UUID, agent_id: int, team: str
    ) -> Conversation:
        """Put an owned conversation in another team's queue, keeping its place by time.

        Raises:
            NotOwner: ``agent_id`` does not own the conversation.
            NotFound: no such conversation.
        """
        async with self._tx(write=True) as session:
            conv, state = await self._moving(session, conversation_id, Move.RELEASE, agent_id)
            conv.state, conv.owner_agent_id, conv.team = state.value, None, team
            conv.updated_at = self._clock()
            handoff = await self._open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.team, handoff.claimed_at, handoff.agent_id = team, None, None
                handoff.released_by = agent_id
            session.add(
                self._audit_row(
                    f"agent:{agent_id}", "transfer", conversation_target(conversation_id), team
                )
            )
            await session.flush()
            return conv.to_value()

    async def hand_back(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Give an owned conversation back to the bot; it stays open, its handoff ends.

        Raises:
            NotOwner: ``agent_id`` does not own the conversation.
            NotFound: no such conversation.
        """
        async with self._tx(write=True) as session:
            conv, state = await self._moving(session, conversation_id, Move.HAND_BACK, agent_id)
            now = self._clock()
            conv.state, conv.owner_agent_id, conv.updated_at = state.value, None, now
            handoff = await self._open_handoff(session, conversation_id)
            if handoff is not None:
                handoff.resolved_at = now
            session.add(
                self._audit_row(
                    f"agent:{agent_id}", "hand_back", conversation_target(conversation_id)
                )
            )
            await session.flush()
            return conv.to_value()

    async def _moving(
        self, session: AsyncSession, conversation_id: UUID, move: Move, agent_id: int | None = None
    ) -> tuple[ConversationRow, ConversationState]:
        """The conversation's row, locked, and the state ``move`` takes it to.

        Raises:
            IllegalTransition: the move is refused (see :func:`handoff.states.check_move`).
            NotOwner: an agent's move on a conversation another agent owns.
            NotFound: no such conversation.
        """
        conv = await self._locked_conversation(session, conversation_id)
        target = check_move(
            conversation_id,
            move,
            ConversationState(conv.state),
            closed=conv.closed_at is not None,
            owner_agent_id=conv.owner_agent_id,
            agent_id=agent_id,
        )
        return conv, target


# Units ----------------------------------------------------------------------------------


def assign(
    connection: Connection,
    *,
    now: datetime,
    conversation_id: UUID,
    away_after: timedelta,
    time_zone: tzinfo = UTC,
) -> Conversation | None:
    """See :meth:`handoff.store.port.Store.assign`."""
    conversation = conversation_row(connection, conversation_id, lock=True)
    current = ConversationState(conversation.state)
    if not allows(Move.CLAIM, current, closed=conversation.closed_at is not None):
        return None  # no longer waiting: taken, handed back or closed meanwhile
    handoff = open_handoff_row(connection, conversation_id)
    online = [agent_value(row) for row in connection.execute(_ONLINE_AGENTS_FOR_UPDATE)]
    team = conversation.team
    # Loads only matter among agents who could take it; without one (nobody online, the
    # usual case of a queue) the count over all open conversations is skipped.
    if not candidates_for(online, {}, team=team, now=now, away_after=away_after):
        return None
    chosen = choose_agent(
        candidates_for(
            online,
            _loads(connection),
            team=team,
            now=now,
            away_after=away_after,
            language=conversation.language,
            time_zone=time_zone,
        ),
        exclude=None if handoff is None else handoff.released_by,
    )
    if chosen is None:
        return None
    state = check_move(
        conversation_id, Move.CLAIM, current, owner_agent_id=conversation.owner_agent_id
    )
    row = connection.execute(
        _GIVE_TO_AGENT,
        {"b_id": conversation_id, "b_state": state.value, "b_agent_id": chosen, "b_now": now},
    ).one()
    if handoff is not None:
        connection.execute(_CLAIM_HANDOFF, {"b_id": handoff.id, "b_agent_id": chosen, "b_now": now})
    connection.execute(_AGENT_ASSIGNED, {"b_id": chosen, "b_now": now})
    connection.execute(
        _NEW_AUDIT,
        {
            "actor": f"agent:{chosen}",
            "action": "assign",
            "target": conversation_target(conversation_id),
            "detail": "",
            "created_at": now,
        },
    )
    return conversation_value(row)


def agent_loads(connection: Connection) -> dict[int, int]:
    """See :meth:`handoff.store.port.Store.agent_loads`."""
    return _loads(connection)


def _loads(connection: Connection) -> dict[int, int]:
    return {
        int(agent_id): int(count)
        for agent_id, count in connection.execute(_LOADS)
        if agent_id is not None
    }
