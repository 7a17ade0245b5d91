"""Backups taken while the service writes, restored into a fresh database: SQLite through
`helpline backup`, PostgreSQL through the pg_dump and pg_restore commands it prints."""

from __future__ import annotations

import asyncio
import shlex
import shutil
import sqlite3
from asyncio.subprocess import PIPE
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from handoff.model import Agent, NewMessage, Notice, SenderKind
from handoff.store.backup import (
    BackupError,
    backup_sqlite,
    inspect_sqlite,
    postgres_commands,
    restore_sqlite,
)
from handoff.store.sql import SqlStore
from handoff.timers import SWEEP, Timer, TimerKind
from tests.pg_urls import schema_of

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WRITERS = 4
#: Messages stored before the backup starts.
WARM = 100


def _url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def _write_until(
    store: SqlStore,
    writer: int,
    stop: asyncio.Event,
    acknowledged: dict[int, UUID],
    warm: asyncio.Event,
) -> None:
    """One customer writing message after message; each stored one is acknowledged."""
    n = 0
    while not stop.is_set():
        n += 1
        received = await store.receive_message(
            channel="web",
            sender_id=f"writer-{writer}",
            message=NewMessage(
                sender=SenderKind.CUSTOMER, text=f"message {n}", external_id=f"w{writer}:{n}"
            ),
        )
        acknowledged[received.message.id] = received.conversation.id
        if len(acknowledged) >= WARM:
            warm.set()


async def _message_ids(store: SqlStore, conversations: set[UUID]) -> set[int]:
    return {m.id for c in conversations for m in await store.transcript(c)}


@dataclass(frozen=True)
class Written:
    """What a desk under load had acknowledged, and which of it came before the backup."""

    before: set[int]
    acknowledged: dict[int, UUID]
    agent: Agent
    notice: Notice
    timer: Timer


async def _back_up_under_load(store: SqlStore, back_up: Callable[[], Awaitable[None]]) -> Written:
    """Seed the desk, keep customers writing, and run ``back_up`` while they do."""
    agent = await store.add_agent(login="maria", name="Maria", password_hash="x", teams=("it",))
    notice = await store.post_notice(texts={"en": "Ill today"}, starts_at=NOON, ends_at=None)
    timer = await store.schedule_timer(TimerKind.WAIT_UPDATE, SWEEP, NOON + timedelta(minutes=5))
    acknowledged: dict[int, UUID] = {}
    stop, warm = asyncio.Event(), asyncio.Event()
    writers = [
        asyncio.create_task(_write_until(store, w, stop, acknowledged, warm))
        for w in range(WRITERS)
    ]
    try:
        await warm.wait()
        before = set(acknowledged)
        await back_up()
    finally:
        stop.set()
        await asyncio.gather(*writers)
    return Written(before, acknowledged, agent, notice, timer)


async def _assert_restored(fresh: SqlStore, written: Written) -> set[int]:
    ids = await _message_ids(fresh, set(written.acknowledged.values()))
    assert written.before <= ids  # everything acknowledged before the backup began
    assert ids <= set(written.acknowledged)  # and nothing half-written
    assert [a.login for a in await fresh.list_agents()] == [written.agent.login]
    assert (await fresh.get_notice(written.notice.id)).texts == {"en": "Ill today"}
    assert await fresh.get_timer(TimerKind.WAIT_UPDATE, SWEEP) == written.timer
    return ids


async def test_a_backup_under_write_load_restores_everything_acknowledged(tmp_path: Path) -> None:
    live_url, fresh_url = _url(tmp_path / "live.db"), _url(tmp_path / "fresh" / "restored.db")
    store = await SqlStore.open(live_url)
    summaries = []

    async def back_up() -> None:
        summaries.append(await asyncio.to_thread(backup_sqlite, live_url, tmp_path / "b.db"))

    try:
        written = await _back_up_under_load(store, back_up)
    finally:
        await store.close()
    restored = restore_sqlite(tmp_path / "b.db", fresh_url)
    fresh = await SqlStore.open(fresh_url)
    try:
        ids = await _assert_restored(fresh, written)
    finally:
        await fresh.close()
    assert restored.rows["message"] == summaries[0].rows["message"] == len(ids)


async def _run(command: str) -> None:
    process = await asyncio.create_subprocess_exec(*shlex.split(command), stdout=PIPE, stderr=PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0, (command, out, err)


@pytest.mark.postgres
@pytest.mark.skipif(shutil.which("pg_restore") is None, reason="pg_dump/pg_restore not installed")
async def test_the_documented_postgres_commands_back_up_under_load_and_restore(
    postgres_schema_url: str, postgres_admin: str, tmp_path: Path
) -> None:
    schema = schema_of(postgres_schema_url)
    assert schema is not None
    dump, restore = postgres_commands(postgres_schema_url, tmp_path / "desk.dump")
    assert f"--schema={schema}" in dump
    store = await SqlStore.open(postgres_schema_url)
    try:
        written = await _back_up_under_load(store, lambda: _run(dump))
    finally:
        await store.close()
    # The live schema moves aside; the dump recreates it, empty of anything but the backup.
    old = sql.Identifier(f"{schema}_old")
    with psycopg.connect(postgres_admin, autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(schema), old))
    try:
        await _run(restore)
        fresh = await SqlStore.open(postgres_schema_url)
        try:
            await _assert_restored(fresh, written)
        finally:
            await fresh.close()
    finally:
        with psycopg.connect(postgres_admin, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(old))


async def test_a_restore_does_not_overwrite_data_unless_told(tmp_path: Path) -> None:
    live_url = _url(tmp_path / "live.db")
    store = await SqlStore.open(live_url)
    await store.add_agent(login="maria", name="Maria", password_hash="x")
    await store.close()
    backup_sqlite(live_url, tmp_path / "backup.db")
    with pytest.raises(BackupError, match=r"holds data already.*--replace"):
        restore_sqlite(tmp_path / "backup.db", live_url)
    assert restore_sqlite(tmp_path / "backup.db", live_url, replace=True).rows["agent"] == 1


async def test_a_backup_never_overwrites_a_file(tmp_path: Path) -> None:
    live_url = _url(tmp_path / "live.db")
    await (await SqlStore.open(live_url)).close()
    (tmp_path / "backup.db").write_text("keep me", encoding="utf-8")
    with pytest.raises(BackupError, match="exists already"):
        backup_sqlite(live_url, tmp_path / "backup.db")
    assert (tmp_path / "backup.db").read_text(encoding="utf-8") == "keep me"


def test_a_file_that_is_no_helpline_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database at all", encoding="utf-8")
    with sqlite3.connect(tmp_path / "other.db") as other:
        other.execute("CREATE TABLE t (x)")
    with pytest.raises(BackupError, match="not a SQLite database"):
        inspect_sqlite(tmp_path / "notes.txt")
    with pytest.raises(BackupError, match="not a Helpline database"):
        inspect_sqlite(tmp_path / "other.db")


def test_postgres_commands_name_the_database_and_schema_without_the_password() -> None:
    url = "postgresql+psycopg://helpline:s3cret@db.internal:5432/desk?options=-csearch_path%3Dprod"
    dump, restore = postgres_commands(url, Path("/backups/desk.dump"))
    assert dump == (
        "pg_dump --format=custom --schema=prod --file=/backups/desk.dump "
        "'postgresql://helpline@db.internal:5432/desk'"
    )
    assert restore == (
        "pg_restore --no-owner --single-transaction --exit-on-error "
        "--dbname='postgresql://helpline@db.internal:5432/desk' /backups/desk.dump"
    )
    assert "s3cret" not in dump + restore
