"""Nothing lost, nothing doubled: kill the service between storing and answering, restart.

The service runs as a real process (``bot.service.server.serve``) against the fake Bot API and a
SQLite file that outlives it. The fake holds the replies, so the process is killed after
it stored the customers' messages and before any reply reached Telegram.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from handoff.model import SenderKind
from handoff.store.sql import SqlStore
from tests.bot.telegram.fake_bot_api import FakeBotApi

pytestmark = pytest.mark.long

ROOT = Path(__file__).resolve().parents[3]
CHATS = (501, 502, 503)
SERVE = (
    "import asyncio\n"
    "from bot.settings.model import load_settings\n"
    "from bot.service.server import serve\n"
    "asyncio.run(serve(load_settings()))\n"
)


async def _spawn(
    fake: FakeBotApi, database_url: str, knowledge_dir: Path, cwd: Path
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HELPLINE_DATABASE_URL": database_url,
        "HELPLINE_KNOWLEDGE_DIR": str(knowledge_dir),
        "HELPLINE_PORT": "0",
        "HELPLINE_TELEGRAM_TOKEN": fake.token,
        "HELPLINE_TELEGRAM_API_URL": fake.base_url,
        "HELPLINE_LOG_LEVEL": "WARNING",
    }
    env.pop("HELPLINE_CONFIG", None)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVE,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.kill()
    await process.wait()


async def test_every_update_is_answered_exactly_once_across_a_crash(
    fake: FakeBotApi, knowledge_dir: Path, tmp_path: Path
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    fake.hold("sendMessage")
    update_ids = [fake.push_text(chat, "How do I connect to the VPN?") for chat in CHATS]

    first = await _spawn(fake, database_url, knowledge_dir, tmp_path)
    try:
        async with asyncio.timeout(60):
            await fake.holding(len(CHATS))
    finally:
        await _stop(first)  # SIGKILL: no shutdown code runs
    fake.release("sendMessage")
    assert fake.confirmed_offset <= update_ids[0]

    second = await _spawn(fake, database_url, knowledge_dir, tmp_path)
    try:
        async with asyncio.timeout(60):
            await fake.confirmed(update_ids[-1])
    finally:
        await _stop(second)

    store = await SqlStore.open(database_url, migrate=False)
    try:
        stored = []
        for chat in CHATS:
            customer = await store.find_customer(channel="telegram", external_id=str(chat))
            assert customer is not None
            messages = await store.customer_messages(customer.id)
            stored.append(sum(m.sender is SenderKind.CUSTOMER for m in messages))
    finally:
        await store.close()
    assert [len(fake.sent_to(chat)) for chat in CHATS] == [1, 1, 1]
    assert stored == [1, 1, 1]
