"""Agents' pictures, on SQL: one row per agent, apart from the agent's own row (which the
desk reads all the time, and which has no reason to carry an image)."""

from __future__ import annotations

from sqlalchemy import delete, select

from handoff.avatars import Avatar, NewAvatar, version_of
from handoff.errors import NotFound
from handoff.store.base import SqlBase
from handoff.store.tables import AgentAvatarRow, AgentRow


class AvatarsSql(SqlBase):
    """:meth:`set_agent_avatar`, :meth:`agent_avatar` and :meth:`avatar_versions`."""

    async def set_agent_avatar(self, agent_id: int, avatar: NewAvatar | None) -> None:
        """Keep the agent's picture (replacing any), or with None remove it. Raises NotFound."""
        async with self._tx(write=True) as session:
            if await session.get(AgentRow, agent_id) is None:
                raise NotFound("agent", agent_id)
            await session.execute(delete(AgentAvatarRow).where(AgentAvatarRow.agent_id == agent_id))
            if avatar is not None:
                session.add(
                    AgentAvatarRow(
                        agent_id=agent_id,
                        content_type=avatar.content_type,
                        data=avatar.data,
                        updated_at=self._clock(),
                    )
                )

    async def agent_avatar(self, agent_id: int) -> Avatar:
        """The agent's picture. Raises NotFound."""
        async with self._tx(write=False) as session:
            row = await session.get(AgentAvatarRow, agent_id)
            if row is None:
                raise NotFound("avatar", agent_id)
            return Avatar(
                agent_id=row.agent_id,
                content_type=row.content_type,
                data=row.data,
                updated_at=row.updated_at,
            )

    async def avatar_versions(self) -> dict[int, int]:
        """The version of each agent's picture (agents without one are not listed)."""
        async with self._tx(write=False) as session:
            rows = await session.execute(select(AgentAvatarRow.agent_id, AgentAvatarRow.updated_at))
            return {agent_id: version_of(updated_at) for agent_id, updated_at in rows}
