"""SQLite engine settings: WAL, busy timeout, and writers that take the lock up front."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff.store.engine import SQLITE_BUSY_TIMEOUT_MS, create_engine_for, read_only


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "engine.db"


@pytest.fixture
async def engine(db_path: Path) -> AsyncIterator[AsyncEngine]:
    created = create_engine_for(f"sqlite+aiosqlite:///{db_path}")
    async with created.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield created
    await created.dispose()


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [
        ("journal_mode", "wal"),
        ("busy_timeout", SQLITE_BUSY_TIMEOUT_MS),
        ("foreign_keys", 1),
        ("synchronous", 1),  # NORMAL
    ],
)
async def test_sqlite_connections_are_configured(
    engine: AsyncEngine, pragma: str, expected: object
) -> None:
    async with engine.connect() as conn:
        value = (await conn.exec_driver_sql(f"PRAGMA {pragma}")).scalar()
    assert value == expected


def _take_the_write_lock(db_path: Path) -> None:
    """Take and drop the write lock from a second connection, without waiting for it."""
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_transaction_takes_the_write_lock_at_begin(
    engine: AsyncEngine, db_path: Path
) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SELECT count(*) FROM t"))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            _take_the_write_lock(db_path)
    _take_the_write_lock(db_path)


async def test_a_read_only_transaction_leaves_the_write_lock_free(
    engine: AsyncEngine, db_path: Path
) -> None:
    async with read_only(engine).begin() as conn:
        await conn.execute(text("SELECT count(*) FROM t"))
        _take_the_write_lock(db_path)


def test_an_unknown_backend_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        create_engine_for("mysql+aiomysql://localhost/helpline")


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
def test_an_in_memory_sqlite_database_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="needs a file"):
        create_engine_for(url)


def test_an_unknown_backend_is_refused_without_showing_the_password() -> None:
    with pytest.raises(ValueError, match="unsupported database URL") as caught:
        create_engine_for("mysql+aiomysql://helpline:hunter2@localhost/helpline")
    assert "hunter2" not in str(caught.value)


async def test_a_failed_statement_does_not_carry_its_parameters(database_url: str) -> None:
    engine = create_engine_for(database_url)
    row = {"login": "ada", "hash": "argon2-secret"}
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE u (login VARCHAR(40) PRIMARY KEY, hash TEXT)"))
            await conn.execute(text("INSERT INTO u VALUES (:login, :hash)"), row)
        with pytest.raises(DBAPIError) as caught:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO u VALUES (:login, :hash)"), row)
    finally:
        await engine.dispose()
    assert "argon2-secret" not in str(caught.value)
