"""The desk's activity over a period on SQL, for the admin dashboard's figures."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select

from handoff.model import Handoff
from handoff.stats import PeriodActivity
from handoff.store.base import SqlBase, aware
from handoff.store.tables import ConversationRow, FeedbackRow, HandoffRow, handoff_value


class StatsSql(SqlBase):
    """The statistics part of the SQL store: reads only, one transaction per period."""

    async def recent_handoffs(self, *, since: datetime, limit: int) -> list[Handoff]:
        """See :meth:`handoff.store.port.Store.recent_handoffs`."""
        since = aware(since, "since")
        handoffs = HandoffRow.__table__.c
        async with self._tx(write=False) as session:
            # Plain rows, not ORM objects: a quote may read up to two thousand of them, and
            # the identity map would cost more than the query.
            rows = await session.execute(
                select(HandoffRow.__table__)
                .where(handoffs.requested_at >= since)
                .order_by(handoffs.requested_at.desc(), handoffs.id.desc())
                .limit(limit)
            )
            return [handoff_value(row) for row in rows]

    async def period_activity(self, *, since: datetime, until: datetime) -> PeriodActivity:
        """The conversations, handoffs and ratings of ``[since, until)``.

        Raises:
            ValueError: a bound is naive, or ``until`` is not after ``since``.
        """
        since, until = aware(since, "since"), aware(until, "until")
        if until <= since:
            raise ValueError(f"the period must end after it starts: {since} .. {until}")
        started = and_(ConversationRow.created_at >= since, ConversationRow.created_at < until)
        async with self._tx(write=False) as session:
            conversations = await session.scalars(
                select(ConversationRow).where(started).order_by(ConversationRow.created_at)
            )
            handoffs = await session.scalars(
                select(HandoffRow)
                .where(
                    or_(
                        and_(HandoffRow.requested_at >= since, HandoffRow.requested_at < until),
                        HandoffRow.conversation_id.in_(select(ConversationRow.id).where(started)),
                    )
                )
                .order_by(HandoffRow.id)
            )
            ratings = await session.scalars(
                select(FeedbackRow)
                .where(
                    FeedbackRow.rating.is_not(None),
                    FeedbackRow.created_at >= since,
                    FeedbackRow.created_at < until,
                )
                .order_by(FeedbackRow.id)
            )
            return PeriodActivity(
                since=since,
                until=until,
                conversations=tuple(row.to_value() for row in conversations),
                handoffs=tuple(row.to_value() for row in handoffs),
                ratings=tuple(row.to_value() for row in ratings),
            )
