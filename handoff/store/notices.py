"""Status notices on SQL: posted by staff, shown while their time window is open.

The notices active now are read on every first message and every handoff, so that read
is a Core unit (see :mod:`handoff.store.core_units`).
"""

from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.engine import Connection

from handoff.errors import NotFound
from handoff.model import Notice
from handoff.store.base import SqlBase, aware
from handoff.store.tables import NoticeRow, notice_value


class NoticesSql(SqlBase):
    """The notice part of the SQL store."""

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
        # Read on every first message and every handoff: a Core unit.
        return await self._units.read(functools.partial(_active_notices, now=aware(now, "now")))

    async def get_notice(self, notice_id: int) -> Notice:
        """Raises NotFound."""
        async with self._tx(write=False) as session:
            row = await session.get(NoticeRow, notice_id)
            if row is None:
                raise NotFound("notice", notice_id)
            return row.to_value()

    async def list_notices(self, *, since: datetime | None = None) -> list[Notice]:
        """Notices, newest start first; with ``since``, only those not ended before it."""
        query = select(NoticeRow).order_by(NoticeRow.starts_at.desc(), NoticeRow.id.desc())
        if since is not None:
            since = aware(since, "since")
            query = query.where(or_(NoticeRow.ends_at.is_(None), NoticeRow.ends_at > since))
        async with self._tx(write=False) as session:
            return [row.to_value() for row in await session.scalars(query)]

    async def end_notice(self, notice_id: int, *, at: datetime, actor: str) -> Notice:
        """End a notice at ``at`` (no later than it would have ended anyway); audited.

        Raises:
            NotFound: no such notice.
            ValueError: ``at`` is naive.
        """
        at = aware(at, "at")
        async with self._tx(write=True) as session:
            row = await session.scalar(
                select(NoticeRow).where(NoticeRow.id == notice_id).with_for_update()
            )
            if row is None:
                raise NotFound("notice", notice_id)
            if row.ends_at is None or row.ends_at > at:
                row.ends_at = max(at, row.starts_at)
            session.add(self._audit_row(actor, "end_notice", f"notice:{notice_id}"))
            await session.flush()
            return row.to_value()


# Units ----------------------------------------------------------------------------------


_notice = NoticeRow.__table__.c
# Built once: building and hashing the statement cost as much as running it.
_ACTIVE = (
    select(*_notice)
    .where(_notice.starts_at <= bindparam("b_now"))
    .where(or_(_notice.ends_at.is_(None), _notice.ends_at > bindparam("b_now")))
    .order_by(_notice.starts_at, _notice.id)
)


def _active_notices(connection: Connection, now: datetime) -> list[Notice]:
    return [notice_value(row) for row in connection.execute(_ACTIVE, {"b_now": now})]
