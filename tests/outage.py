"""A test database that can really be cut off from the service and brought back.

No mock stands in for the outage: the store's own connections fail as they would in
production, and recover the same way.

* PostgreSQL: the service connects as a role of its own that owns a fresh schema. The cut
  forbids the role to log in and terminates its connections (``pg_terminate_backend``),
  so every pooled connection dies and every reconnect is refused, as when the server goes
  away. Restoring allows the login again.
* SQLite: the file is checkpointed (the WAL emptied), its bytes kept aside and overwritten,
  and the shared-memory index cleared so that every open connection reads the file again:
  each of them now fails with "file is not a database", as with a failed disk. Restoring
  writes the bytes back. (Permissions would not do: the tests may run as root.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.pg_urls import in_schema


class Outage(Protocol):
    """Cuts the database behind :attr:`url` off, and restores it."""

    @property
    def url(self) -> str:
        """The database URL the service under test opens."""

    def cut(self) -> None:
        """From now on every statement of the service fails."""

    def restore(self) -> None:
        """The database answers again, with everything it held before the cut."""


class StoreBusy(RuntimeError):
    """The service is inside an operation: a cut now would fall in the middle of it."""


async def cut_when_idle(outage: Outage, *, within_s: float = 5.0) -> None:
    """Cut as soon as the service is between operations.

    A service that just answered may still be reading: its event streams read the replies
    a turn stored. The test's own loop must go on meanwhile (the service may run on it),
    so the wait yields to it.
    """
    if not isinstance(outage, SqliteOutage):
        outage.cut()  # PostgreSQL's cut ends the service's connections whatever they do
        return
    deadline = time.monotonic() + within_s
    while True:
        try:
            outage.cut(wait_s=0)  # busy at once: a wait here would hold the test's loop
        except StoreBusy:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.01)
        else:
            return


class SqliteOutage:
    """A SQLite file whose content is made unreadable under its open connections."""

    def __init__(self, path: Path) -> None:
        self.url = f"sqlite+aiosqlite:///{path}"
        self._path = path
        self._saved: bytes | None = None

    def cut(self, *, wait_s: float = 30) -> None:
        checkpoint = sqlite3.connect(self._path, isolation_level=None, timeout=wait_s)
        try:
            busy, _, _ = checkpoint.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        finally:
            checkpoint.close()
        if busy:
            raise StoreBusy("a transaction of the store is open: cut between operations")
        self._saved = self._path.read_bytes()
        self._path.write_bytes(b"\xff" * len(self._saved))
        self._forget_index()

    def restore(self) -> None:
        if self._saved is None:
            raise RuntimeError("not cut")
        self._path.write_bytes(self._saved)
        self._saved = None
        self._forget_index()

    def _forget_index(self) -> None:
        # A cleared wal-index makes every connection rebuild it and read the file again.
        shm = self._path.with_name(self._path.name + "-shm")
        if shm.exists():
            shm.write_bytes(b"\0" * shm.stat().st_size)


class PostgresOutage:
    """A schema reached through a role whose logins are refused during the cut."""

    def __init__(self, admin: str, base_url: str, role: str, schema: str) -> None:
        self.url = in_schema(
            make_url(base_url)
            .set(username=role, password=None)
            .render_as_string(hide_password=False),
            schema,
        )
        self._admin = admin
        self._role = role
        self._schema = schema

    def cut(self) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} NOLOGIN").format(sql.Identifier(self._role)))
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (self._role,),
            )

    def restore(self) -> None:
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER ROLE {} LOGIN").format(sql.Identifier(self._role)))

    def refuse_changes(self, table: str) -> None:
        """Revoke the role's right to change (or lock) ``table``; reads still work."""
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("REVOKE UPDATE, DELETE ON {}.{} FROM {}").format(
                    sql.Identifier(self._schema), sql.Identifier(table), sql.Identifier(self._role)
                )
            )

    def allow_changes(self, table: str) -> None:
        """Give back what :meth:`refuse_changes` took."""
        with psycopg.connect(self._admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("GRANT UPDATE, DELETE ON {}.{} TO {}").format(
                    sql.Identifier(self._schema), sql.Identifier(table), sql.Identifier(self._role)
                )
            )


@contextmanager
def sqlite_outage(tmp_path: Path) -> Iterator[Outage]:
    """A SQLite file that can be cut off."""
    yield SqliteOutage(tmp_path / "helpline.db")


@contextmanager
def postgres_outage(admin: str, base_url: str) -> Iterator[PostgresOutage]:
    """A fresh schema owned by a fresh role, both dropped afterwards."""
    name = f"test_cut_{uuid.uuid4().hex[:12]}"
    role, schema = sql.Identifier(name), sql.Identifier(name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(role))
        conn.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(schema, role))
    try:
        yield PostgresOutage(admin, base_url, name, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (name,),
            )
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(schema))
            conn.execute(sql.SQL("DROP ROLE {}").format(role))
