"""Agents on SQL: accounts and credentials, profiles, presence, Telegram identities.

The list of agents and an agent's profile are read in every handoff turn (the wait
estimate, "Maria has joined"), so those two reads are Core units (see
:mod:`handoff.store.core_units`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from handoff.errors import DuplicateLogin, NotFound
from handoff.model import Agent, Presence
from handoff.store.base import SqlBase
from handoff.store.tables import AgentRow, Base, agent_value

_agent = Base.metadata.tables[AgentRow.__tablename__]

#: Every column of an agent but the password hash, which no caller of the units needs.
AGENT_COLUMNS = [column for column in _agent.c if column.name != "password_hash"]
# The statements of the units, built once (see handoff.store.customers).
_BY_ID = select(*AGENT_COLUMNS).where(_agent.c.id == bindparam("b_id"))
_ALL = select(*AGENT_COLUMNS).order_by(_agent.c.login)


class AgentsSql(SqlBase):
    """The agent part of the SQL store."""

    async def add_agent(
        self,
        *,
        login: str,
        name: str,
        password_hash: str,
        teams: Sequence[str] = (),
        languages: Sequence[str] = (),
        capacity: int = 3,
        is_admin: bool = False,
    ) -> Agent:
        """Create an agent. Raises DuplicateLogin."""
        row = AgentRow(
            login=login,
            name=name,
            password_hash=password_hash,
            teams=list(teams),
            languages=list(languages),
            capacity=capacity,
            is_admin=is_admin,
            active=True,
            presence="offline",
            created_at=self._clock(),
        )
        try:
            async with self._tx(write=True, conflicts=True) as session:
                session.add(row)
                await session.flush()
                return row.to_value()
        except IntegrityError as exc:
            raise DuplicateLogin(login) from exc

    async def get_agent(self, agent_id: int) -> Agent:
        """Raises NotFound."""
        # Read to announce every assignment: a Core unit.
        return await self._units.read(functools.partial(get_agent, agent_id=agent_id))

    async def agent_credentials(self, login: str) -> tuple[Agent, str] | None:
        """The agent with this login and their password hash, or None."""
        async with self._tx(write=False) as session:
            row = await session.scalar(select(AgentRow).where(AgentRow.login == login))
            return None if row is None else (row.to_value(), row.password_hash)

    async def list_agents(self) -> list[Agent]:
        """All agents, by login."""
        # Read by the wait estimate of every handoff: a Core unit.
        return await self._units.read(list_agents)

    async def set_password_hash(
        self, agent_id: int, password_hash: str, *, end_sessions: bool = True
    ) -> None:
        """Replace an agent's password hash. Raises NotFound.

        Args:
            agent_id: the agent.
            password_hash: the new hash.
            end_sessions: end the agent's console sessions (a new password: whoever
                knew the old one is logged out); False for a rehash of the same password.
        """
        async with self._tx(write=True) as session:
            row = await session.get(AgentRow, agent_id)
            if row is None:
                raise NotFound("agent", agent_id)
            row.password_hash = password_hash
            if end_sessions:
                row.session_epoch += 1

    async def end_sessions(self, agent_id: int) -> None:
        """End every console session of an agent. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await session.get(AgentRow, agent_id)
            if row is None:
                raise NotFound("agent", agent_id)
            row.session_epoch += 1

    # Profile and presence ------------------------------------------------------------

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

    # Telegram identities -------------------------------------------------------------

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
            row = await session.scalar(select(AgentRow).where(AgentRow.telegram_user_id == user_id))
            return None if row is None or not row.active else row.to_value()


# Units ----------------------------------------------------------------------------------


def list_agents(connection: Connection) -> list[Agent]:
    """See :meth:`handoff.store.port.Store.list_agents`."""
    return [agent_value(row) for row in connection.execute(_ALL)]


def get_agent(connection: Connection, agent_id: int) -> Agent:
    """See :meth:`handoff.store.port.Store.get_agent`."""
    row = connection.execute(_BY_ID, {"b_id": agent_id}).first()
    if row is None:
        raise NotFound("agent", agent_id)
    return agent_value(row)
