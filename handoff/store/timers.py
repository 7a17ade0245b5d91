"""Durable timers on SQL (see :mod:`handoff.timers`): arming, cancelling, claiming.

Timers fire exactly once because a runner claims a due timer with a conditional
``UPDATE timer SET fired_at = ... WHERE id = ... AND fired_at IS NULL``; on PostgreSQL
the candidate row is also selected ``FOR UPDATE SKIP LOCKED``, so concurrent runners take
different timers instead of queueing behind each other. On SQLite every write transaction
holds the database write lock (``BEGIN IMMEDIATE``), which serialises the claims. A run
that an outage of the database cut short is given back (:meth:`TimersSql.unclaim_timer`)
to fire again later.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from handoff.store.base import SqlBase, aware
from handoff.store.tables import TimerRow
from handoff.timers import Timer, TimerKind


def _timer(row: TimerRow) -> Timer:
    return Timer(
        id=row.id, kind=TimerKind(row.kind), key=row.key, due_at=row.due_at, fired_at=row.fired_at
    )


class TimersSql(SqlBase):
    """The timer part of the SQL store."""

    async def schedule_timer(
        self, kind: TimerKind, key: str, due_at: datetime, *, if_absent: bool = False
    ) -> Timer:
        """Arm the timer ``(kind, key)`` to fire at ``due_at``; one row per kind and key.

        A pending timer is moved to ``due_at``; a fired one is armed again. With
        ``if_absent`` a pending timer is left as it is (so a timer missed while the
        service was down is not pushed into the future by a restart).

        Raises:
            ValueError: ``due_at`` is naive.
        """
        due_at = aware(due_at, "due_at")

        async def work(session: AsyncSession) -> Timer:
            row = await session.scalar(
                select(TimerRow)
                .where(TimerRow.kind == kind.value, TimerRow.key == key)
                .with_for_update()
            )
            if row is None:
                row = TimerRow(kind=kind.value, key=key, due_at=due_at)
                session.add(row)
            elif not (if_absent and row.fired_at is None):
                row.due_at, row.fired_at = due_at, None
            await session.flush()
            return _timer(row)

        return await self._write_retrying(work)

    async def cancel_timer(self, kind: TimerKind, key: str) -> bool:
        """Remove a pending timer; True if there was one."""
        async with self._tx(write=True) as session:
            removed = await session.scalar(
                delete(TimerRow)
                .where(
                    TimerRow.kind == kind.value, TimerRow.key == key, TimerRow.fired_at.is_(None)
                )
                .returning(TimerRow.id)
            )
            return removed is not None

    async def get_timer(self, kind: TimerKind, key: str) -> Timer | None:
        """The timer ``(kind, key)``, pending or fired, or None."""
        async with self._tx(write=False) as session:
            row = await session.scalar(
                select(TimerRow).where(TimerRow.kind == kind.value, TimerRow.key == key)
            )
            return None if row is None else _timer(row)

    async def pending_timers(self) -> list[Timer]:
        """Timers that have not fired, soonest first."""
        async with self._tx(write=False) as session:
            rows = await session.scalars(
                select(TimerRow)
                .where(TimerRow.fired_at.is_(None))
                .order_by(TimerRow.due_at, TimerRow.id)
            )
            return [_timer(row) for row in rows]

    async def claim_due_timer(self, now: datetime) -> Timer | None:
        """Claim the most overdue timer (``due_at <= now``), marking it fired at ``now``.

        Exactly one caller gets each timer, however many runners ask at once.

        Returns:
            The claimed timer, or None when nothing is due.

        Raises:
            ValueError: ``now`` is naive.
        """
        now = aware(now, "now")
        async with self._tx(write=True) as session:
            candidate = await session.scalar(
                select(TimerRow.id)
                .where(TimerRow.fired_at.is_(None), TimerRow.due_at <= now)
                .order_by(TimerRow.due_at, TimerRow.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if candidate is None:
                return None
            row = await session.scalar(
                update(TimerRow)
                .where(TimerRow.id == candidate, TimerRow.fired_at.is_(None))
                .values(fired_at=now)
                .returning(TimerRow)
                .execution_options(synchronize_session=False)
            )
            return None if row is None else _timer(row)

    async def unclaim_timer(self, timer: Timer) -> bool:
        """See :meth:`handoff.store.port.Store.unclaim_timer`."""
        if timer.fired_at is None:
            raise ValueError(f"timer {timer.kind} {timer.key} was not claimed")
        async with self._tx(write=True) as session:
            # Only the claim this runner made: a timer armed again (fired_at cleared) or
            # claimed anew since is not this claim any more.
            back = await session.scalar(
                update(TimerRow)
                .where(TimerRow.id == timer.id, TimerRow.fired_at == timer.fired_at)
                .values(fired_at=None)
                .returning(TimerRow.id)
                .execution_options(synchronize_session=False)
            )
            return back is not None
