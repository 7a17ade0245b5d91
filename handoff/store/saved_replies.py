"""Saved replies on SQL: a team's and an agent's own, and keeping shortcuts unique."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select

from handoff.errors import DuplicateShortcut, NotFound
from handoff.model import SavedReply
from handoff.store.base import SqlBase
from handoff.store.tables import SavedReplyRow


class SavedRepliesSql(SqlBase):
    """The saved reply part of the SQL store."""

    async def saved_replies(
        self, *, agent_id: int | None = None, teams: Sequence[str] | None = None
    ) -> list[SavedReply]:
        """Saved replies by shortcut: the agent's own and their teams' (all when both None)."""
        query = select(SavedReplyRow).order_by(SavedReplyRow.shortcut, SavedReplyRow.id)
        if agent_id is not None or teams is not None:
            query = query.where(
                or_(
                    SavedReplyRow.agent_id == agent_id,
                    SavedReplyRow.team.in_(list(teams or ())),
                )
            )
        async with self._tx(write=False) as session:
            return [row.to_value() for row in await session.scalars(query)]

    async def add_saved_reply(
        self,
        *,
        shortcut: str,
        text: str,
        team: str | None = None,
        agent_id: int | None = None,
        actor: str,
    ) -> SavedReply:
        """Save a team's reply (``team``) or an agent's own (``agent_id``).

        Raises:
            DuplicateShortcut: the team or the agent has this shortcut already.
            ValueError: not exactly one of ``team`` and ``agent_id`` given.
        """
        if (team is None) == (agent_id is None):
            raise ValueError("a saved reply belongs to a team or to an agent")
        same_scope = (
            SavedReplyRow.team == team if team is not None else SavedReplyRow.agent_id == agent_id
        )
        async with self._tx(write=True) as session:
            taken = await session.scalar(
                select(SavedReplyRow.id).where(same_scope, SavedReplyRow.shortcut == shortcut)
            )
            if taken is not None:
                raise DuplicateShortcut(shortcut)
            row = SavedReplyRow(
                shortcut=shortcut, text=text, team=team, agent_id=agent_id, created_at=self._clock()
            )
            session.add(row)
            session.add(self._audit_row(actor, "saved_reply_add", f"saved_reply:/{shortcut}"))
            await session.flush()
            return row.to_value()

    async def delete_saved_reply(self, reply_id: int, *, actor: str) -> SavedReply:
        """Delete a saved reply. Raises NotFound."""
        async with self._tx(write=True) as session:
            row = await session.get(SavedReplyRow, reply_id)
            if row is None:
                raise NotFound("saved_reply", reply_id)
            gone = row.to_value()
            await session.delete(row)
            session.add(
                self._audit_row(actor, "saved_reply_delete", f"saved_reply:/{gone.shortcut}")
            )
            return gone
