"""SQLite backups taken while the service writes, restored into a fresh database."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest

from handoff.model import NewMessage, SenderKind
from handoff.store.backup import (
    BackupError,
    backup_sqlite,
    inspect_sqlite,
    postgres_commands,
    restore_sqlite,
)
from handoff.store.sql import SqlStore
from handoff.timers import SWEEP, TimerKind

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WRITERS = 4
#: Messages stored before the backup starts.
WARM = 200


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


async def test_a_backup_under_write_load_restores_everything_acknowledged(tmp_path: Path) -> None:
    live_url, fresh_url = _url(tmp_path / "live.db"), _url(tmp_path / "fresh" / "restored.db")
    store = await SqlStore.open(live_url)
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
        before = dict(acknowledged)
        summary = await asyncio.to_thread(backup_sqlite, live_url, tmp_path / "backup.db")
    finally:
        stop.set()
        await asyncio.gather(*writers)
    assert len(acknowledged) > len(before)  # the writers went on during the backup
    restored = restore_sqlite(tmp_path / "backup.db", fresh_url)
    fresh = await SqlStore.open(fresh_url)
    try:
        ids = await _message_ids(fresh, set(acknowledged.values()))
        assert set(before) <= ids  # everything acknowledged before the backup began
        assert ids <= set(acknowledged)  # and nothing half-written
        assert restored.rows["message"] == summary.rows["message"] == len(ids)
        assert [a.login for a in await fresh.list_agents()] == [agent.login]
        assert (await fresh.get_notice(notice.id)).texts == {"en": "Ill today"}
        assert await fresh.get_timer(TimerKind.WAIT_UPDATE, SWEEP) == timer
    finally:
        await fresh.close()
        await store.close()


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
