"""Timers through a database outage (tests/outage.py): nothing fires wrongly, nothing is lost.

A handler whose store calls fail because the database is cut did not fail its timer: the
runner gives the timer back, and it fires once the database answers again.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.desk.timer_runner import TimerRunner
from bot.runtime.feed import ChangeFeed
from bot.runtime.incoming import IncomingMessage
from bot.service.composition import KnowledgeHolder, build_runtime, build_timers, load_snapshot
from bot.settings.model import load_settings
from handoff.errors import StoreUnavailable
from handoff.model import ConversationState
from handoff.store.sql import SqlStore
from handoff.timers import Timer, TimerKind
from tests.conftest import postgres_url
from tests.outage import Outage, postgres_outage

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Copenhagen


def clock() -> datetime:
    return START


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, *, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


class ReadsTheStore:
    """A handler that reads the store, as every real one does; it may cut the database
    first (an outage that begins while it runs) and restore it after failing."""

    def __init__(self, store: SqlStore, outage: Outage) -> None:
        self.store = store
        self.outage = outage
        self.cut_next = False
        self.restore_after = False
        self.runs: list[str] = []
        self.done: list[str] = []

    async def __call__(self, timer: Timer, now: datetime) -> None:
        self.runs.append(timer.key)
        if self.cut_next:
            self.cut_next = False
            self.outage.cut()
        try:
            await self.store.list_agents()
        finally:
            if self.restore_after:
                self.restore_after = False
                self.outage.restore()
        self.done.append(timer.key)


@pytest.fixture
async def store(outage: Outage) -> AsyncIterator[SqlStore]:
    opened = await SqlStore.open(outage.url, migrate=True)
    yield opened
    await opened.close()


@pytest.fixture
def handler(store: SqlStore, outage: Outage) -> ReadsTheStore:
    return ReadsTheStore(store, outage)


@pytest.fixture
def runner(store: SqlStore, handler: ReadsTheStore) -> TimerRunner:
    return TimerRunner(store, {TimerKind.NOTICE_START: handler}, clock=clock)


async def test_a_tick_during_an_outage_claims_nothing(
    store: SqlStore, outage: Outage, handler: ReadsTheStore, runner: TimerRunner
) -> None:
    await store.schedule_timer(TimerKind.NOTICE_START, "7", START)
    outage.cut()
    try:
        with pytest.raises(StoreUnavailable):
            await runner.tick()
    finally:
        outage.restore()
    assert [t.key for t in await store.pending_timers()] == ["7"]
    assert await runner.tick() == 1
    assert (handler.runs, handler.done) == (["7"], ["7"])


async def test_a_run_cut_short_by_an_outage_leaves_its_timer_pending(
    store: SqlStore, handler: ReadsTheStore, runner: TimerRunner
) -> None:
    await store.schedule_timer(TimerKind.NOTICE_START, "7", START)
    handler.cut_next = handler.restore_after = True  # a short outage, during the run
    assert await runner.tick() == 0
    assert [t.key for t in await store.pending_timers()] == ["7"]  # not claimed, not lost
    assert await runner.tick() == 1
    assert (handler.runs, handler.done) == (["7", "7"], ["7"])


async def test_a_timer_cut_short_is_given_back_when_the_database_returns(
    store: SqlStore, outage: Outage, handler: ReadsTheStore, runner: TimerRunner
) -> None:
    await store.schedule_timer(TimerKind.NOTICE_START, "7", START)
    await store.schedule_timer(TimerKind.NOTICE_START, "8", START)
    handler.cut_next = True  # the outage outlasts the tick
    try:
        assert await runner.tick() == 0
        with pytest.raises(StoreUnavailable):
            await runner.tick()  # still down: nothing more is claimed
    finally:
        outage.restore()
    assert await runner.tick() == 2
    assert sorted(handler.done) == ["7", "8"]
    assert handler.runs.count("7") + handler.runs.count("8") == 3  # the cut one ran twice
    assert await store.pending_timers() == []


@pytest.mark.postgres
async def test_an_inactivity_sweep_that_cannot_requeue_is_no_agent_acting(
    postgres_admin: str, knowledge_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The conversations table stops taking changes (a revoked grant) while the sweep
    # reads fine: requeueing the silent agent's conversation fails on the database.
    with postgres_outage(postgres_admin, postgres_url()) as outage:
        now = Clock(START)
        settings = load_settings(
            environ={},
            search_config=False,
            database_url=outage.url,
            knowledge_dir=knowledge_dir,
            time_zone="Europe/Copenhagen",
        )
        store = await SqlStore.open(outage.url, migrate=True, clock=now)
        try:
            runtime, phrases = build_runtime(
                settings, store, KnowledgeHolder(load_snapshot(settings)), ChangeFeed()
            )
            timers, _ = build_timers(settings, runtime, phrases)
            runner = TimerRunner(store, timers.handlers(), clock=now)
            agent = await store.add_agent(login="maria", name="Maria", password_hash="x")
            handled = await runtime.handle(
                IncomingMessage(
                    channel="web", sender_id="alice", external_id="m1", text="/human",
                    payload="/human",
                )
            )  # fmt: skip
            conversation_id = handled.message.conversation_id
            await runtime.claim(conversation_id, agent.id)
            now.advance(minutes=11)  # Maria has been silent past agent_inactivity_minutes
            await timers.arm(now())
            outage.refuse_changes("conversation")
            with caplog.at_level(logging.WARNING, logger="bot.desk.timer_runner"):
                await runner.tick()
            outage.allow_changes("conversation")
            assert "timer inactivity sweep waits: the database is unavailable" in caplog.messages
            assert (await store.get_conversation(conversation_id)).state is ConversationState.AGENT
            now.advance(minutes=1)
            await runner.tick()  # the sweep comes back and finds Maria still silent
            assert (await store.get_conversation(conversation_id)).state is ConversationState.QUEUED
        finally:
            await store.close()
