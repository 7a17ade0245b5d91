"""The deployment's leads on PostgreSQL: one timer runner and one Telegram poller at a time.

A lead is a session advisory lock on a connection of its own, keyed by the schema too (so
deployments sharing one database each have their own leaders): a process that dies, or
whose connection drops, loses it, and another process can take it. SQLite serves one
process, which always leads.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from handoff.errors import StoreUnavailable
from handoff.store.base import SqlBase

# Any constant works; it only has to be the same in every Helpline process.
_PG_TIMER_LEAD_LOCK = 0x48_6C_54_6D  # "HlTm"
POLLER_LEAD_LOCK = 0x48_6C_54_67  # "HlTg"


async def _alive(connection: AsyncConnection) -> bool:
    """Whether the connection still answers (a session lock lives as long as it does)."""
    try:
        await connection.scalar(text("SELECT 1"))
        await connection.commit()
    except (SQLAlchemyError, OSError):
        return False
    return True


class LeadsSql(SqlBase):
    """The leads part of the SQL store."""

    @asynccontextmanager
    async def timer_lead(self) -> AsyncIterator[bool]:
        """Hold the deployment's timer lead while the block runs, if nobody else holds it.

        On PostgreSQL this is a session advisory lock on a connection of its own: one
        process at a time runs timers, and a process that dies loses the lock with its
        connection. SQLite serves one process, which always leads.

        Yields:
            Whether this process leads now.

        Raises:
            StoreUnavailable: the database does not answer.
        """
        if self._engine.dialect.name != "postgresql":
            yield True
            return
        lock = {"key": _PG_TIMER_LEAD_LOCK}
        held = AsyncExitStack()
        try:
            connection = await held.enter_async_context(self._engine.connect())
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
        except SQLAlchemyError as exc:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await held.aclose()
            raise StoreUnavailable(f"database error: {exc}") from exc
        try:
            yield leading
        finally:
            # A lost connection has released the lock already.
            with contextlib.suppress(SQLAlchemyError, OSError):
                if leading:
                    await connection.execute(
                        text(
                            "SELECT pg_advisory_unlock(CAST(:key AS integer), "
                            "hashtext(current_schema()))"
                        ),
                        lock,
                    )
                    await connection.commit()
                await held.aclose()

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

        Raises:
            StoreUnavailable: the database does not answer.
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
        held = AsyncExitStack()
        lock = {"key": POLLER_LEAD_LOCK}
        try:
            connection = await held.enter_async_context(self._engine.connect())
            leading = bool(await connection.scalar(take, lock))
            await connection.commit()  # the lock is the session's; no transaction stays open
        except SQLAlchemyError as exc:
            with contextlib.suppress(SQLAlchemyError, OSError):
                await held.aclose()
            raise StoreUnavailable(f"database error: {exc}") from exc
        async with held:
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
