"""What every concern of the SQL store shares: engine, clock, transactions, error translation.

Each concern module of :mod:`handoff.store` (``customers``, ``messages``, ``queue``,
``ownership``, ...) holds one class that extends :class:`SqlBase` with that concern's
ORM methods and its Core units; :class:`~handoff.store.sql.SqlStore` combines them. A
concern class uses only what is defined here, never another concern's methods, so the
classes can be read (and changed) one at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from handoff.errors import HandoffError, NotFound, StoreUnavailable
from handoff.store.core_units import CoreUnits
from handoff.store.engine import read_only
from handoff.store.tables import AgentRow, AuditRow, ConversationRow, HandoffRow

T = TypeVar("T")
Clock = Callable[[], datetime]

# A unique violation means someone else inserted the same row first; the retry sees it.
# Two attempts suffice; the third covers a conflict on a different key in the retry.
_CONFLICT_ATTEMPTS = 3


def utc_now() -> datetime:
    """The default clock: the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def aware(value: datetime, name: str) -> datetime:
    """Return ``value`` if it is timezone-aware.

    Raises:
        ValueError: ``value`` is naive (its time zone would be a guess).
    """
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    return value


def conversation_target(conversation_id: UUID) -> str:
    """How the audit log names a conversation."""
    return f"conversation:{conversation_id}"


class SqlBase:
    """Engine, clock and transactions shared by the parts of :class:`~handoff.store.sql.SqlStore`.

    Args:
        engine: from :func:`handoff.store.engine.create_engine_for`; the store owns it
            from now on and disposes it in :meth:`close`.
        clock: returns the current aware UTC time; tests pass a fake.
    """

    def __init__(self, engine: AsyncEngine, *, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._writer = async_sessionmaker(engine, expire_on_commit=False)
        self._reader = async_sessionmaker(read_only(engine), expire_on_commit=False)
        self._clock = clock
        # SQLite has one write lock per file. Pooled connections of this process that
        # queue for it in SQLite's busy handler poll with sleeps of up to 100 ms; queueing
        # them here instead wakes the next writer the moment the last one commits. Other
        # processes on the same file still meet the busy handler (the CLI, a second run).
        self._sqlite_writer = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._units = CoreUnits(engine, self._sqlite_writer)

    @property
    def engine(self) -> AsyncEngine:
        """The engine, for health checks and tests that inspect the database."""
        return self._engine

    async def close(self) -> None:
        """Release the connection pool."""
        await self._units.close()
        await self._engine.dispose()

    # Transactions -------------------------------------------------------------------

    @asynccontextmanager
    async def _tx(self, *, write: bool, conflicts: bool = False) -> AsyncIterator[AsyncSession]:
        """One transaction; ``conflicts=True`` lets IntegrityError through to the caller."""
        maker = self._writer if write else self._reader
        try:
            async with AsyncExitStack() as stack:
                if write and self._sqlite_writer is not None:
                    await stack.enter_async_context(self._sqlite_writer)
                session = await stack.enter_async_context(maker.begin())
                yield session
        except IntegrityError as exc:
            if conflicts:
                raise
            raise HandoffError(f"the database refused the change: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"database error: {exc}") from exc

    async def _write_retrying(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a write transaction, again after losing an insert race."""
        for _ in range(_CONFLICT_ATTEMPTS - 1):
            try:
                async with self._tx(write=True, conflicts=True) as session:
                    return await work(session)
            except IntegrityError:
                continue
        async with self._tx(write=True) as session:
            return await work(session)

    async def _locked_conversation(self, session: AsyncSession, cid: UUID) -> ConversationRow:
        # FOR UPDATE is a no-op on SQLite, where BEGIN IMMEDIATE already serialises writers.
        row = await session.scalar(
            select(ConversationRow).where(ConversationRow.id == cid).with_for_update()
        )
        if row is None:
            raise NotFound("conversation", cid)
        return row

    async def _agent_row(self, session: AsyncSession, agent_id: int) -> AgentRow:
        row = await session.get(AgentRow, agent_id)
        if row is None:
            raise NotFound("agent", agent_id)
        return row

    async def _open_handoff(self, session: AsyncSession, cid: UUID) -> HandoffRow | None:
        return await session.scalar(
            select(HandoffRow)
            .where(HandoffRow.conversation_id == cid, HandoffRow.resolved_at.is_(None))
            .order_by(HandoffRow.id.desc())
            .limit(1)
        )

    def _audit_row(self, actor: str, action: str, target: str, detail: str = "") -> AuditRow:
        return AuditRow(
            actor=actor, action=action, target=target, detail=detail, created_at=self._clock()
        )

    # The audit log, which every concern writes to ------------------------------------

    async def audit(self, *, actor: str, action: str, target: str, detail: str = "") -> None:
        """Append to the audit log (who did what, when). Never stores message content."""
        async with self._tx(write=True) as session:
            session.add(self._audit_row(actor, action, target, detail))
