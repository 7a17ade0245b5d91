"""Timers through a database outage (tests/outage.py): nothing fires wrongly, nothing is lost.

A handler whose store calls fail because the database is cut did not fail its timer: the
runner gives the timer back, and it fires once the database answers again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.desk.timer_runner import TimerRunner
from handoff.errors import StoreUnavailable
from handoff.store.sql import SqlStore
from handoff.timers import Timer, TimerKind
from tests.outage import Outage

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def clock() -> datetime:
    return START


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
            await runner.run_due()
    finally:
        outage.restore()
    assert [t.key for t in await store.pending_timers()] == ["7"]
    assert await runner.run_due() == 1
    assert (handler.runs, handler.done) == (["7"], ["7"])


async def test_a_run_cut_short_by_an_outage_leaves_its_timer_pending(
    store: SqlStore, handler: ReadsTheStore, runner: TimerRunner
) -> None:
    await store.schedule_timer(TimerKind.NOTICE_START, "7", START)
    handler.cut_next = handler.restore_after = True  # a short outage, during the run
    assert await runner.run_due() == 0
    assert [t.key for t in await store.pending_timers()] == ["7"]  # not claimed, not lost
    assert await runner.run_due() == 1
    assert (handler.runs, handler.done) == (["7", "7"], ["7"])


async def test_a_timer_cut_short_is_given_back_when_the_database_returns(
    store: SqlStore, outage: Outage, handler: ReadsTheStore, runner: TimerRunner
) -> None:
    await store.schedule_timer(TimerKind.NOTICE_START, "7", START)
    await store.schedule_timer(TimerKind.NOTICE_START, "8", START)
    handler.cut_next = True  # the outage outlasts the tick
    try:
        assert await runner.run_due() == 0
        with pytest.raises(StoreUnavailable):
            await runner.run_due()  # still down: nothing more is claimed
    finally:
        outage.restore()
    assert await runner.run_due() == 2
    assert sorted(handler.done) == ["7", "8"]
    assert handler.runs.count("7") + handler.runs.count("8") == 3  # the cut one ran twice
    assert await store.pending_timers() == []
