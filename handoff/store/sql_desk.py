"""The desk on SQL: agent profiles and presence, routing, transfers, feedback.

Automatic assignment chooses the agent and claims the conversation in one write
transaction (a Core unit, :func:`handoff.store.hot_handoff.assign`). The conversation row
is locked first, then every online agent's row, always in id order: on PostgreSQL
concurrent assignments therefore queue up behind each other (no deadlock, and the load
they count is the committed one); on SQLite ``BEGIN IMMEDIATE`` already serialises every
writer. So no agent ever goes over capacity.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, timedelta, tzinfo
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.errors import AgentUnavailable, IllegalTransition, NotFound, NotOwner
from handoff.model import Agent, Conversation, ConversationState, Feedback, Handoff, Presence
from handoff.states import check_transition
from handoff.store import hot_handoff
from handoff.store.sql_base import SqlBase, conversation_target
from handoff.store.tables import (
    AgentRow,
    ConversationRow,
    FeedbackRow,
    HandoffRow,
)

_AGENT = ConversationState.AGENT.value
_QUEUED = ConversationState.QUEUED.value
_BOT = ConversationState.BOT.value


class DeskSql(SqlBase):
    """Agent profiles, presence, routing, transfers and feedback of the SQL store."""

    # Agents ---------------------------------------------------------------------------

    async def update_agent(
        self,
        agent_id: int,
        *,
        name: str | None = None,
        teams: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
        capacity: int | None = None,
        working_hours: Mapping[str, Sequence[str]] | None = None,
        is_admin: bool | None = None,
        active: bool | None = None,
    ) -> Agent:
        """Change the given fields of an agent's profile. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await self._agent_row(session, agent_id)
            if name is not None:
                row.name = name
            if teams is not None:
                row.teams = list(teams)
            if languages is not None:
                row.languages = list(languages)
            if capacity is not None:
                row.capacity = capacity
            if working_hours is not None:
                row.working_hours = {day: list(spans) for day, spans in working_hours.items()}
            if is_admin is not None:
                row.is_admin = is_admin
            if active is not None:
                if row.active and not active:
                    row.session_epoch += 1  # deactivated: logged out everywhere
                row.active = active
            session.add(self._audit_row("admin", "agent_update", f"agent:{agent_id}"))
            await session.flush()
            return row.to_value()

    async def set_presence(self, agent_id: int, presence: Presence) -> Agent:
        """Set an agent's presence; it counts as console activity too. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await self._agent_row(session, agent_id)
            row.presence, row.last_seen_at = presence.value, self._clock()
            session.add(self._audit_row(f"agent:{agent_id}", "presence", presence.value))
            await session.flush()
            return row.to_value()

    async def agent_seen(self, agent_id: int) -> None:
        """Record console activity of an agent now. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await self._agent_row(session, agent_id)
            row.last_seen_at = self._clock()

    async def agent_loads(self) -> dict[int, int]:
        """How many open conversations each agent owns (agents with none are left out)."""
        # Read by the wait estimate of every handoff: a Core unit (handoff.store.hot_handoff).
        return await self._hot.read(hot_handoff.agent_loads)

    # Routing and ownership ------------------------------------------------------------

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
        # Tried in every handoff turn: a Core unit (see handoff.store.hot_handoff).
        return await self._hot.write(
            functools.partial(
                hot_handoff.assign,
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
            conv = await self._owned(session, conversation_id, agent_id)
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
            conv = await self._owned(session, conversation_id, agent_id)
            check_transition(conversation_id, ConversationState.AGENT, ConversationState.QUEUED)
            conv.state, conv.owner_agent_id, conv.team = _QUEUED, None, team
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
            conv = await self._owned(session, conversation_id, agent_id)
            check_transition(conversation_id, ConversationState.AGENT, ConversationState.BOT)
            now = self._clock()
            conv.state, conv.owner_agent_id, conv.updated_at = _BOT, None, now
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

    async def handoffs(self, conversation_id: UUID) -> list[Handoff]:
        """Every handoff of a conversation, oldest first."""
        async with self._tx(write=False) as session:
            rows = await session.scalars(
                select(HandoffRow)
                .where(HandoffRow.conversation_id == conversation_id)
                .order_by(HandoffRow.requested_at, HandoffRow.id)
            )
            return [row.to_value() for row in rows]

    # Feedback -------------------------------------------------------------------------

    async def record_feedback(
        self,
        conversation_id: UUID,
        *,
        message_id: int | None = None,
        agent_id: int | None = None,
        helpful: bool | None = None,
        rating: int | None = None,
    ) -> Feedback:
        """Store a customer's verdict, credited to ``agent_id`` (None: the bot).

        Raises:
            ValueError: neither or both of ``helpful`` and ``rating``, or a rating
                outside 1-5.
            NotFound: no such conversation.
        """
        if (helpful is None) == (rating is None):
            raise ValueError("feedback is either helpful/not helpful or a rating")
        if rating is not None and not 1 <= rating <= 5:
            raise ValueError(f"a rating is 1 to 5, got {rating}")
        async with self._tx(write=True) as session:
            if await session.get(ConversationRow, conversation_id) is None:
                raise NotFound("conversation", conversation_id)
            row = FeedbackRow(
                conversation_id=conversation_id,
                message_id=message_id,
                agent_id=agent_id,
                helpful=helpful,
                rating=rating,
                created_at=self._clock(),
            )
            session.add(row)
            await session.flush()
            return row.to_value()

    async def feedback(self, conversation_id: UUID) -> list[Feedback]:
        """The feedback given in a conversation, oldest first."""
        async with self._tx(write=False) as session:
            rows = await session.scalars(
                select(FeedbackRow)
                .where(FeedbackRow.conversation_id == conversation_id)
                .order_by(FeedbackRow.id)
            )
            return [row.to_value() for row in rows]

    # Helpers --------------------------------------------------------------------------

    async def _agent_row(self, session: AsyncSession, agent_id: int) -> AgentRow:
        row = await session.get(AgentRow, agent_id)
        if row is None:
            raise NotFound("agent", agent_id)
        return row

    async def _owned(
        self, session: AsyncSession, conversation_id: UUID, agent_id: int
    ) -> ConversationRow:
        conv = await self._locked_conversation(session, conversation_id)
        if conv.closed_at is not None:
            raise IllegalTransition(conversation_id, conv.state, "closed")
        if conv.state != _AGENT or conv.owner_agent_id != agent_id:
            raise NotOwner(conversation_id, agent_id)
        return conv
