"""One poller per deployment: the PostgreSQL polling lead, its hand-over and its loss."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

import psycopg
import pytest
from telegram import Update

from bot.channels.telegram.channel import build_application
from bot.channels.telegram.lead import PollerLead
from bot.channels.telegram.poller import Poller
from handoff.store.leads import POLLER_LEAD_LOCK
from handoff.store.sql import SqlStore
from tests.bot.telegram.fake_bot_api import FakeBotApi
from tests.pg_urls import schema_of

pytestmark = pytest.mark.postgres


async def _ignore(update: Update) -> None:
    return None


async def _until(condition: Callable[[], bool], *, timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    assert condition(), f"not within {timeout_s} s"


@pytest.fixture
async def start_lead(
    fake: FakeBotApi, postgres_schema_url: str
) -> AsyncIterator[Callable[..., Awaitable[tuple[PollerLead, asyncio.Task[None]]]]]:
    """Starts a process-like lead: its own store (connections) and its own bot."""
    await (await SqlStore.open(postgres_schema_url, migrate=True)).close()
    cleanups: list[Callable[[], Awaitable[None]]] = []

    async def start(*, retry_s: float) -> tuple[PollerLead, asyncio.Task[None]]:
        store = await SqlStore.open(postgres_schema_url, migrate=False)
        application = build_application(fake.token, fake.base_url)
        await application.initialize()
        poller = Poller(application.bot, _ignore, timeout_s=1)
        lead = PollerLead(store, poller, retry_s=retry_s, check_s=0.2)
        lead_task = asyncio.create_task(lead.run())

        async def cleanup() -> None:
            lead_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await lead_task
            await application.shutdown()
            await store.close()

        cleanups.append(cleanup)
        return lead, lead_task

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()


async def test_one_process_polls_and_another_takes_over_when_it_stops(
    start_lead: Callable[..., Awaitable[tuple[PollerLead, asyncio.Task[None]]]],
    fake: FakeBotApi,
) -> None:
    first, first_task = await start_lead(retry_s=0.2)
    await _until(lambda: first.leading)
    second, _ = await start_lead(retry_s=0.2)
    await _until(lambda: second.refused >= 3)  # several of the standby's attempts
    assert (first.leading, second.leading) == (True, False)

    first_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first_task
    await _until(lambda: second.leading, timeout_s=5)


async def test_a_leader_whose_lock_connection_dies_stops_polling(
    start_lead: Callable[..., Awaitable[tuple[PollerLead, asyncio.Task[None]]]],
    postgres_admin: str,
    postgres_schema_url: str,
) -> None:
    schema = schema_of(postgres_schema_url)
    assert schema is not None
    first, _ = await start_lead(retry_s=30)  # once out, it stays out for this test
    await _until(lambda: first.leading)
    second, _ = await start_lead(retry_s=0.2)

    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        # The lead's lock is (key, hashtext(schema)): classid and objid in pg_locks.
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
            " AND granted AND classid = %s AND objid::bigint = hashtext(%s)::bigint & 4294967295",
            (POLLER_LEAD_LOCK, schema),
        )
    await _until(lambda: not first.leading, timeout_s=5)
    await _until(lambda: second.leading, timeout_s=5)
