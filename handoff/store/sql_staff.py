"""Agents, status notices and the audit log, on SQL."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from handoff.errors import DuplicateLogin, NotFound
from handoff.model import Agent, Notice
from handoff.store import hot_handoff
from handoff.store.sql_base import SqlBase, aware
from handoff.store.tables import AgentRow, NoticeRow, notice_value


class StaffSql(SqlBase):
    """The agents, notices and audit part of the SQL store."""

    # Agents ---------------------------------------------------------------------------

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
        # Read to announce every assignment: a Core unit (see handoff.store.hot_handoff).
        return await self._hot.read(functools.partial(hot_handoff.get_agent, agent_id=agent_id))

    async def agent_credentials(self, login: str) -> tuple[Agent, str] | None:
        """The agent with this login and their password hash, or None."""
        async with self._tx(write=False) as session:
            row = await session.scalar(select(AgentRow).where(AgentRow.login == login))
            return None if row is None else (row.to_value(), row.password_hash)

    async def list_agents(self) -> list[Agent]:
        """All agents, by login."""
        # Read by the wait estimate of every handoff: a Core unit (handoff.store.hot_handoff).
        return await self._hot.read(hot_handoff.list_agents)

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

    # Notices and audit ----------------------------------------------------------------

    async def post_notice(
        self,
        *,
        texts: dict[str, str],
        starts_at: datetime,
        ends_at: datetime | None,
        audience: str | None = None,
    ) -> Notice:
        """Store a status notice, shown from ``starts_at`` until before ``ends_at``.

        Raises:
            ValueError: a naive datetime was given.
        """
        row = NoticeRow(
            texts=dict(texts),
            starts_at=aware(starts_at, "starts_at"),
            ends_at=None if ends_at is None else aware(ends_at, "ends_at"),
            audience=audience,
            created_at=self._clock(),
        )
        async with self._tx(write=True) as session:
            session.add(row)
            await session.flush()
            return row.to_value()

    async def active_notices(self, now: datetime) -> list[Notice]:
        """Notices with ``starts_at <= now < ends_at`` (open-ended without ``ends_at``)."""
        # Read on every first message and every handoff: a Core unit (see handoff.store.hot).
        return await self._hot.read(functools.partial(_active_notices, now=aware(now, "now")))

    async def audit(self, *, actor: str, action: str, target: str, detail: str = "") -> None:
        """Append to the audit log (who did what, when). Never stores message content."""
        async with self._tx(write=True) as session:
            session.add(self._audit_row(actor, action, target, detail))


def _active_notices(connection: Connection, now: datetime) -> list[Notice]:
    notices = NoticeRow.__table__.c
    query = (
        select(*notices)
        .where(notices.starts_at <= now)
        .where(or_(notices.ends_at.is_(None), notices.ends_at > now))
        .order_by(notices.starts_at, notices.id)
    )
    return [notice_value(row) for row in connection.execute(query)]
