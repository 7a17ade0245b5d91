"""Async engines for SQLite (embedded default) and PostgreSQL (scale-out).

SQLite in WAL mode allows one writer. A transaction that starts as a reader and later
writes cannot upgrade its lock when another connection wrote in between, and fails at once
with "database is locked", ignoring ``busy_timeout``. So SQLAlchemy, not the sqlite3
driver, emits ``BEGIN``, and by default it is ``BEGIN IMMEDIATE``: the write lock is taken
up front, and a second writer waits (up to the busy timeout) instead of failing.

Transactions that only read opt out through :data:`READ_ONLY` (an execution option, see
:func:`read_only`): they emit a plain deferred ``BEGIN`` and, thanks to WAL, run next to
the writer. The default is the safe one; forgetting the option costs concurrency, never
correctness.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

#: Execution option marking a transaction as read-only (plain deferred BEGIN on SQLite).
READ_ONLY = "helpline_read_only"

#: PostgreSQL connections a process keeps open, and how many more it may open in a burst.
#: Mind ``max_connections`` (100 by default) across all processes of a deployment.
PG_POOL_SIZE = 20
PG_POOL_OVERFLOW = 10

#: How long a SQLite writer waits for the write lock before giving up, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000


def create_engine_for(url: str) -> AsyncEngine:
    """Build an async engine for a database URL, configured for Helpline's workload.

    Args:
        url: ``sqlite+aiosqlite:///path/to/file.db`` or
            ``postgresql+psycopg://user@host:port/db``. Query parameters pass through to
            the driver (e.g. ``?options=-csearch_path%3Dmyschema`` for psycopg).

    Returns:
        An engine that leaves bound parameters (customer texts, password hashes) out of its
        error messages and logs, whose SQLite connections use WAL, a 30 s busy timeout, foreign keys
        and ``synchronous=NORMAL``, and whose transactions begin with ``BEGIN IMMEDIATE``
        unless the :data:`READ_ONLY` execution option is set.

    Raises:
        ValueError: the URL names a backend Helpline does not support, or an in-memory
            SQLite database.
    """
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            # Each connection would see a database of its own; the store opens several.
            raise ValueError(f"SQLite needs a file, not an in-memory database: {shown!r}")
        return _sqlite_engine(url)
    if backend == "postgresql":
        # pool_pre_ping: a restarted PostgreSQL would otherwise hand out dead connections.
        # The default pool (5 kept, 10 more closed as soon as they are returned) made a
        # busy process reconnect hundreds of times a second; keep enough for a burst.
        return create_async_engine(
            url,
            pool_pre_ping=True,
            pool_size=PG_POOL_SIZE,
            max_overflow=PG_POOL_OVERFLOW,
            hide_parameters=True,
        )
    raise ValueError(f"unsupported database URL {shown!r}: use SQLite or PostgreSQL")


def url_password(url: str) -> str | None:
    """The password written in a database URL, if any (None for a malformed URL)."""
    try:
        return make_url(url).password
    except ArgumentError:
        return None


def shown_url(url: str) -> str:
    """A database URL with its password masked, for banners and messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def read_only(engine: AsyncEngine) -> AsyncEngine:
    """Return a view of ``engine`` (same pool) whose transactions are marked read-only."""
    return engine.execution_options(**{READ_ONLY: True})


_WAL_ATTEMPTS = 20


def _sqlite_engine(url: str) -> AsyncEngine:
    engine = create_async_engine(
        url,
        # The driver's own busy timeout, in seconds; the PRAGMA below says the same.
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    event.listen(engine.sync_engine, "handle_error", on_sqlite_error)
    return engine


def on_sqlite_error(context: ExceptionContext) -> None:
    """Discard a SQLite connection that met an unreadable file or a failing disk.

    Such a connection can keep failing ("file is not a database") after the file is
    readable again, while a new connection reads it fine; marking the error as a
    disconnect makes the pool replace the connection instead of handing it out again.
    Lock timeouts, constraint violations and the like leave the connection usable.
    """
    if is_broken_sqlite(context.original_exception):
        context.is_disconnect = True


def is_broken_sqlite(error: BaseException) -> bool:
    """Whether a sqlite3 error says the file or the disk failed (not a lock or a constraint)."""
    return type(error) is sqlite3.DatabaseError or (
        isinstance(error, sqlite3.OperationalError) and "disk i/o" in str(error).lower()
    )


def _on_sqlite_connect(dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
    # Stop the driver from emitting its own (deferred, DML-only) BEGIN; _on_sqlite_begin
    # emits the BEGIN instead. This is SQLAlchemy's documented recipe.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        # NORMAL is durable in WAL mode except for the last commits on power loss,
        # and saves an fsync per transaction.
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _enable_wal(cursor: Any) -> None:
    # WAL is a property of the file: once one connection set it, it stays. Switching needs
    # an exclusive lock and SQLite does not wait for it (no busy handler), so processes
    # opening a brand-new file together can see "database is locked" here. Retry briefly;
    # this blocks only on the very first start of a new database.
    for attempt in range(_WAL_ATTEMPTS):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _on_sqlite_begin(conn: Connection) -> None:
    if conn.get_execution_options().get(READ_ONLY, False):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
