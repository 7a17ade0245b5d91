"""Time-driven parts of the SQL store: durable timers, the timer lead, notices, retention.

Timers fire exactly once because a runner claims a due timer with a conditional
``UPDATE timer SET fired_at = ... WHERE id = ... AND fired_at IS NULL``; on PostgreSQL the
candidate row is also selected ``FOR UPDATE SKIP LOCKED``, so concurrent runners take
different timers instead of queueing behind each other. On SQLite every write transaction
holds the database write lock (``BEGIN IMMEDIATE``), which serialises the claims.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from handoff.errors import NotFound
from handoff.model import Notice
from handoff.store.sql_base import SqlBase, aware
from handoff.store.tables import (
    AttachmentRow,
    ConversationRow,
    FeedbackRow,
    HandoffRow,
    MessageRow,
    NoticeRow,
    TimerRow,
)
from handoff.timers import Timer, TimerKind

# Any constant works; it only has to be the same in every Helpline process.
_PG_TIMER_LEAD_LOCK = 0x48_6C_54_6D  # "HlTm"
POLLER_LEAD_LOCK = 0x48_6C_54_67  # "HlTg"


def _timer(row: TimerRow) -> Timer:
    return Timer(
        id=row.id, kind=TimerKind(row.kind), key=row.key, due_at=row.due_at, fired_at=row.fired_at
    )


async def _alive(connection: AsyncConnection) -> bool:
    """Whether the connection still answers (a session lock lives as long as it does)."""
    try:
        await connection.scalar(text("SELECT 1"))
        await connection.commit()
    except (SQLAlchemyError, OSError):
        return False
    return True


class TimeSql(SqlBase):
    """Timers, the timer lead, notice administration and retention purges."""

    # Timers ---------------------------------------------------------------------------

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

    @asynccontextmanager
    async def timer_lead(self) -> AsyncIterator[bool]:
        """Hold the deployment's timer lead while the block runs, if nobody else holds it.

        On PostgreSQL this is a session advisory lock on a connection of its own: one
        process at a time runs timers, and a process that dies loses the lock with its
        connection. SQLite serves one process, which always leads.

        Yields:
            Whether this process leads now.
        """
        if self._engine.dialect.name != "postgresql":
            yield True
            return
        async with self._engine.connect() as connection:
            lock = {"key": _PG_TIMER_LEAD_LOCK}
            # Keyed by schema too: deployments sharing one database each get a leader.
            leading = bool(
                await connection.scalar(
                    text(
                        "SELECT pg_try_advisory_lock(CAST(:key AS integer), "
                        "hashtext(current_schema()))"
                    ),
                    lock,
                )
            )
            await connection.commit()  # the lock is the session's; no transaction stays open
            try:
                yield leading
            finally:
                if leading:
                    await connection.execute(
                        text(
                            "SELECT pg_advisory_unlock(CAST(:key AS integer), "
                            "hashtext(current_schema()))"
                        ),
                        lock,
                    )
                    await connection.commit()

    @asynccontextmanager
    async def poller_lead(self) -> AsyncIterator[Callable[[], Awaitable[bool]] | None]:
        """Hold the deployment's Telegram polling lead while the block runs, if it is free.

        Like :meth:`timer_lead`, a session advisory lock on a connection of its own, but
        held for as long as the process polls: a process that dies (or whose connection
        drops) loses it, and another process can take it. SQLite serves one process,
        which always leads.

        Yields:
            None when another process leads; else a check that the lead is still held
            (False once the lock's connection is gone).
        """
        if self._engine.dialect.name != "postgresql":

            async def always() -> bool:
                return True

            yield always
            return
        # Keyed by schema too: deployments sharing a database in different schemas each
        # have their own poller.
        take = text(
            "SELECT pg_try_advisory_lock(CAST(:key AS integer), hashtext(current_schema()))"
        )
        give_back = text(
            "SELECT pg_advisory_unlock(CAST(:key AS integer), hashtext(current_schema()))"
        )
        async with self._engine.connect() as connection:
            lock = {"key": POLLER_LEAD_LOCK}
            leading = bool(await connection.scalar(take, lock))
            await connection.commit()  # the lock is the session's; no transaction stays open
            if not leading:
                yield None
                return

            async def still_leading() -> bool:
                return await _alive(connection)

            try:
                yield still_leading
            finally:
                # A lost connection has released the lock already.
                with contextlib.suppress(SQLAlchemyError, OSError):
                    await connection.execute(give_back, lock)
                    await connection.commit()

    # Notices --------------------------------------------------------------------------

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

    # Retention ------------------------------------------------------------------------

    async def purge_closed_conversations(self, *, closed_before: datetime, actor: str) -> int:
        """Erase conversations closed before ``closed_before``, with their transcripts.

        This is the audited privacy operation (docs/architecture.md, "The store"): the
        audit log records how many conversations went and the cut-off, never their content.

        Returns:
            How many conversations were erased.

        Raises:
            ValueError: ``closed_before`` is naive.
        """
        cutoff = aware(closed_before, "closed_before")
        async with self._tx(write=True) as session:
            ids = list(
                await session.scalars(
                    select(ConversationRow.id).where(
                        ConversationRow.closed_at.is_not(None), ConversationRow.closed_at < cutoff
                    )
                )
            )
            # Files go with the messages that carry them, and files no message ever took
            # (a send that failed half-way) once they are as old as the cut-off.
            carried = select(MessageRow.id).where(MessageRow.conversation_id.in_(ids))
            await session.execute(
                delete(AttachmentRow).where(
                    or_(
                        AttachmentRow.message_id.in_(carried),
                        and_(AttachmentRow.message_id.is_(None), AttachmentRow.created_at < cutoff),
                    )
                )
            )
            if ids:
                for table in (FeedbackRow, HandoffRow, MessageRow):
                    await session.execute(delete(table).where(table.conversation_id.in_(ids)))
                await session.execute(delete(ConversationRow).where(ConversationRow.id.in_(ids)))
            session.add(
                self._audit_row(
                    actor,
                    "retention_purge",
                    "conversations",
                    f"{len(ids)} closed before {cutoff.isoformat()}",
                )
            )
            return len(ids)
