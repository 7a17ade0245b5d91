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
import json
import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import suppress
from typing import Any, TypeVar

import orjson
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

# orjson reads an integer beyond 64 bits as a float where json keeps it exact: a text with
# 20 digits in a row (anywhere, strings included) is read by json. Digits are found by
# mapping every ASCII digit to "0" (a regular expression cost more than the decoding).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_NUMBER = b"0" * 20


def json_loads(text: str) -> Any:
    """The value of a JSON column's text, exactly as :func:`json.loads` gives it.

    A turn reads the ``meta`` of up to 30 earlier messages at every message; orjson decodes
    them in half the time. What orjson refuses (NaN, lone surrogates, a number not text)
    goes to json, which gives its own value or error.
    """
    if isinstance(text, str):
        try:
            digits = text.encode().translate(_DIGITS_AS_ZERO)
        except UnicodeEncodeError:  # a lone surrogate
            return json.loads(text)
        if _LONG_NUMBER not in digits:
            try:
                return orjson.loads(text)
            except orjson.JSONDecodeError:
                pass
    return json.loads(text)


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
                json_deserializer=json_loads,
            )
            event.listen(self._sync, "connect", _on_sqlite_connect)
            event.listen(self._sync, "begin", _begin_on_sqlite3)
            event.listen(self._sync, "handle_error", on_sqlite_error)
            # One thread: SQLite has one writer anyway, and reads are short.
            self._threads = Workers(1, name="helpline-sqlite")
            self._held: _HeldConnections | None = _HeldConnections()
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
            self._threads = Workers(PG_UNIT_THREADS, name="helpline-pg")
            self._held = None
        self._read_only = self._sync.execution_options(**{READ_ONLY: True})

    async def close(self) -> None:
        """Stop the worker threads and close their connections."""
        if self._held is not None:
            await self._threads.run(self._held.close)
        await self._threads.run(self._sync.dispose)
        self._threads.shutdown()

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
        engine = self._sync if write else self._read_only
        if self._held is not None:
            if write and self._write_lock is not None:
                async with self._write_lock:
                    return await self._threads.run(self._held.run, engine, unit)
            return await self._threads.run(self._held.run, engine, unit)
        return await self._threads.run(_in_transaction, engine, unit)


class _HeldConnections:
    """SQLite's worker thread keeps its connections open between units: a transaction
    through the pool (check-out, reset, check-in) cost 75-85 us of CPU, on a connection
    kept open 35-40 (``SELECT 1``). One connection per engine (writing, read-only); one
    that failed is closed and opened again by the next unit, as the pool would."""

    def __init__(self) -> None:
        self._connections: dict[Engine, Connection] = {}

    def run(self, engine: Engine, unit: Unit[T]) -> T:
        connection = self._connections.get(engine)
        if connection is None or connection.closed:
            connection = self._connections[engine] = engine.connect()
        try:
            with connection.begin():
                return unit(connection)
        except HandoffError as exc:
            if isinstance(exc, StoreUnavailable):
                self._drop(engine)
            raise  # a unit's own refusal (NotFound...): rolled back, the connection is fine
        except BaseException:
            self._drop(engine)
            raise

    def close(self) -> None:
        """Close the connections (in the worker thread)."""
        for engine in list(self._connections):
            self._drop(engine)

    def _drop(self, engine: Engine) -> None:
        connection = self._connections.pop(engine, None)
        if connection is not None:
            # A broken connection may fail to roll back on closing; it is gone either way.
            with suppress(SQLAlchemyError, sqlite3.Error):
                connection.close()


_Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[..., Any], tuple[Any, ...]]


class Workers:
    """Threads that run calls for the event loop, in the order they were asked for.

    A call is one queue put and one ``call_soon_threadsafe`` back. ``run_in_executor`` on a
    ``ThreadPoolExecutor`` did the same through a concurrent future chained to an asyncio
    one and a semaphore per submit: 60-90 us of CPU a call against 30 (a trivial call,
    uvloop), and every customer message makes two or three.

    Args:
        count: the threads.
        name: their name's prefix.
    """

    def __init__(self, count: int, *, name: str) -> None:
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        # Daemon threads: a process that exits without closing its store is not kept alive
        # by them (an unfinished transaction is rolled back, as after a crash).
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}_{i}", daemon=True)
            for i in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def run(self, function: Callable[..., T], *args: Any) -> asyncio.Future[T]:
        """``function(*args)`` in a worker thread; a call cancelled before it started
        never runs."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((loop, future, function, args))
        return future

    def shutdown(self) -> None:
        """Let the threads finish the calls asked for so far, then stop them."""
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join()

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, function, args = job
            if future.cancelled():
                continue
            try:
                result = function(*args)
            except BaseException as exc:  # handed to the caller, as run_in_executor does
                outcome: tuple[Any, BaseException | None] = (None, exc)
            else:
                outcome = (result, None)
            # The loop may have closed while the call ran: nobody is waiting any more.
            with suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, *outcome)


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


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
