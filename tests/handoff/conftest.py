"""Fixtures for the handoff package: a migrated store on each database and a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest

from handoff.model import Conversation, HandoffReason
from handoff.store.sql import SqlStore

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeClock:
    """Time that moves only when a test says so. Refuses naive times and going backwards."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware start time")
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError(f"FakeClock cannot go back {seconds} s")
        self._now += timedelta(seconds=seconds)
        return self._now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def store(
    database_url: str, clock: FakeClock, at_head: Callable[[str], None]
) -> AsyncIterator[SqlStore]:
    at_head(database_url)
    opened = await SqlStore.open(database_url, migrate=True, clock=clock)
    yield opened
    await opened.close()


@pytest.fixture
async def conversation(store: SqlStore) -> Conversation:
    """An open conversation of a Telegram customer, with the bot."""
    customer = await store.upsert_customer(channel="telegram", external_id="1001", language="en")
    return await store.open_conversation(customer.id)


@pytest.fixture
async def queued(store: SqlStore, conversation: Conversation) -> Conversation:
    """The conversation, handed off to the it-support queue."""
    await store.request_handoff(
        conversation.id, reason=HandoffReason.CUSTOMER_ASKED, team="it-support"
    )
    return await store.get_conversation(conversation.id)


@pytest.fixture
async def agent_ids(store: SqlStore) -> list[int]:
    """Three agents of it-support (password hashes are placeholders: no login here)."""
    ids = []
    for login in ("maria", "jonas", "ahmed"):
        agent = await store.add_agent(
            login=login, name=login.title(), password_hash="x", teams=["it-support"]
        )
        ids.append(agent.id)
    return ids
