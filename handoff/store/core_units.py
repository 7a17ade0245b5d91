"""How the store runs its per-message work: SQLAlchemy Core units in worker threads.

Every customer message costs the store a few calls (the chat API's token lookup, receiving
the message, storing the replies; a handoff turn a few more). Through the ORM on an async
driver a statement costs about 0.9 ms of CPU; the same statement in Core on a synchronous
connection about 20-40 us (``benchmarks/load/store_ops.py``). So these calls are written
once as synchronous Core functions of a :class:`~sqlalchemy.engine.Connection` (a *unit*,
kept in the module of its concern next to the ORM methods), and run:

- on SQLite, in one worker thread on a synchronous engine of the same file: one thread
  hop per transaction instead of several per statement. Writes still queue on the
  store's in-process write lock, so they never meet SQLite's busy handler in-process;
- on PostgreSQL, in a few worker threads on psycopg's synchronous connections
  (:data:`PG_UNIT_THREADS`), next to the async engine's pool.

A unit that loses an insert race (IntegrityError on a unique key) runs again, as the ORM
methods do; database errors become :class:`~handoff.errors.StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff.errors import HandoffError, StoreUnavailable
from handoff.store.engine import (
    READ_ONLY,
    SQLITE_BUSY_TIMEOUT_MS,
    _on_sqlite_connect,
    is_broken_sqlite,
    on_sqlite_error,
)

T = TypeVar("T")
Unit = Callable[[Connection], T]

_CONFLICT_ATTEMPTS = 3

#: Worker threads (and connections) of the PostgreSQL units, besides the async pool.
PG_UNIT_THREADS = 4


class CoreUnits:
    """Runs synchronous units of work against the store's database.

    Args:
        engine: the store's async engine (its URL tells the database).
        write_lock: the store's in-process SQLite write lock (None on PostgreSQL).
    """

    def __init__(self, engine: AsyncEngine, write_lock: asyncio.Lock | None) -> None:
        self._write_lock = write_lock
        url = make_url(engine.url.render_as_string(hide_password=False))
        if engine.dialect.name == "sqlite":
            self._sync = create_engine(
                url.set(drivername="sqlite"),
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                    "check_same_thread": False,
                },
                hide_parameters=True,
            )
            event.listen(self._sync, "connect", _on_sqlite_connect)
            event.listen(self._sync, "begin", _begin_on_sqlite3)
            event.listen(self._sync, "handle_error", on_sqlite_error)
            # One thread: SQLite has one writer anyway, and reads are short.
            self._threads = ThreadPoolExecutor(1, thread_name_prefix="helpline-sqlite")
        else:
            # psycopg's synchronous connection, one per worker thread; the URL (with its
            # search_path option) is the async engine's.
            self._sync = create_engine(
                url,
                pool_size=PG_UNIT_THREADS,
                max_overflow=0,
                pool_pre_ping=True,
                hide_parameters=True,
            )
            self._threads = ThreadPoolExecutor(PG_UNIT_THREADS, thread_name_prefix="helpline-pg")
        self._read_only = self._sync.execution_options(**{READ_ONLY: True})

    async def close(self) -> None:
        """Stop the worker threads and close their connections."""
        await asyncio.get_running_loop().run_in_executor(self._threads, self._sync.dispose)
        self._threads.shutdown(wait=True)

    async def read(self, unit: Unit[T]) -> T:
        """Run ``unit`` in a read-only transaction."""
        try:
            return await self._run(unit, write=False)
        except IntegrityError as exc:
            raise HandoffError(f"the database refused the change: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"database error: {exc}") from exc

    async def write(self, unit: Unit[T]) -> T:
        """Run ``unit`` in a write transaction, again after losing an insert race."""
        try:
            for _ in range(_CONFLICT_ATTEMPTS - 1):
                try:
                    return await self._run(unit, write=True)
                except IntegrityError:
                    continue
            return await self._run(unit, write=True)
        except IntegrityError as exc:
            raise HandoffError(f"the database refused the change: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"database error: {exc}") from exc

    async def _run(self, unit: Unit[T], *, write: bool) -> T:
        loop = asyncio.get_running_loop()
        engine = self._sync if write else self._read_only
        if write and self._write_lock is not None:
            async with self._write_lock:
                return await loop.run_in_executor(self._threads, _in_transaction, engine, unit)
        return await loop.run_in_executor(self._threads, _in_transaction, engine, unit)


def _begin_on_sqlite3(connection: Connection) -> None:
    """The BEGIN of :func:`handoff.store.engine._on_sqlite_begin` (IMMEDIATE unless
    read-only), sent on sqlite3's own connection: through SQLAlchemy's execution machinery
    this one statement cost more CPU than most of the statements of a unit."""
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    driver = connection.connection.driver_connection
    if driver is None:  # never: the connection is checked out, so it is open
        raise StoreUnavailable("the SQLite connection is closed")
    try:
        driver.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        # Sent past SQLAlchemy, so neither wrapped in its errors nor seen by its
        # handle_error event: say what it means here, and drop a connection that met an
        # unreadable file, as on_sqlite_error does for statements.
        if is_broken_sqlite(exc):
            connection.invalidate(exc)
        raise StoreUnavailable(f"database error: {exc}") from exc


def _in_transaction(engine: Engine, unit: Unit[T]) -> T:
    with engine.begin() as connection:
        return unit(connection)
