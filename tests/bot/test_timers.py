"""Timers on a real database: exactly once, across restarts and concurrent runners.

Time is a controllable clock; the runner's tick is called directly (as APScheduler calls it),
except where the test is about APScheduler waking it at start-up.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.desk.timer_runner import TimerHandler, TimerRunner, TimerScheduler
from handoff.store.sql import SqlStore
from handoff.timers import Timer, TimerKind

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)


class Fired:
    """Records every timer a handler ran, and wakes a waiting test."""

    def __init__(self) -> None:
        self.keys: Counter[str] = Counter()
        self.event = asyncio.Event()

    async def __call__(self, timer: Timer, now: datetime) -> None:
        self.keys[timer.key] += 1
        self.event.set()

    def handlers(self) -> dict[TimerKind, TimerHandler]:
        return {kind: self for kind in TimerKind}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlStore]:
    opened = await SqlStore.open(database_url, migrate=True)
    yield opened
    await opened.close()


async def test_a_timer_fires_when_due_and_not_before(store: SqlStore, clock: Clock) -> None:
    fired = Fired()
    runner = TimerRunner(store, fired.handlers(), clock=clock)
    await store.schedule_timer(TimerKind.WAIT_UPDATE, "a", START + timedelta(minutes=5))
    clock.advance(4)
    assert await runner.tick() == 0
    clock.advance(1)
    assert await runner.tick() == 1
    assert fired.keys == {"a": 1}


async def test_a_fired_timer_does_not_fire_again(store: SqlStore, clock: Clock) -> None:
    fired = Fired()
    runner = TimerRunner(store, fired.handlers(), clock=clock)
    await store.schedule_timer(TimerKind.WAIT_UPDATE, "a", START)
    await runner.tick()
    clock.advance(60)
    await runner.tick()
    assert fired.keys == {"a": 1}


async def test_scheduling_twice_keeps_one_timer(store: SqlStore, clock: Clock) -> None:
    await store.schedule_timer(TimerKind.INACTIVITY, "a", START + timedelta(minutes=1))
    await store.schedule_timer(TimerKind.INACTIVITY, "a", START + timedelta(minutes=9))
    assert [t.due_at for t in await store.pending_timers()] == [START + timedelta(minutes=9)]


async def test_if_absent_keeps_an_overdue_timer_where_it_was(store: SqlStore) -> None:
    await store.schedule_timer(TimerKind.RETENTION_PURGE, "daily", START)
    later = START + timedelta(days=1)
    await store.schedule_timer(TimerKind.RETENTION_PURGE, "daily", later, if_absent=True)
    assert [t.due_at for t in await store.pending_timers()] == [START]


async def test_a_cancelled_timer_does_not_fire(store: SqlStore, clock: Clock) -> None:
    fired = Fired()
    await store.schedule_timer(TimerKind.NOTICE_END, "7", START)
    assert await store.cancel_timer(TimerKind.NOTICE_END, "7")
    await TimerRunner(store, fired.handlers(), clock=clock).tick()
    assert fired.keys == {}


async def test_a_failing_handler_does_not_stop_the_others(store: SqlStore, clock: Clock) -> None:
    fired = Fired()

    async def broken(timer: Timer, now: datetime) -> None:
        raise RuntimeError("boom")

    handlers = {**fired.handlers(), TimerKind.NOTICE_START: broken}
    await store.schedule_timer(TimerKind.NOTICE_START, "1", START)
    await store.schedule_timer(TimerKind.NOTICE_END, "1", START)
    assert await TimerRunner(store, handlers, clock=clock).tick() == 2
    assert fired.keys == {"1": 1}


async def test_a_timer_missed_while_stopped_fires_once_after_restart(
    database_url: str, clock: Clock
) -> None:
    first = await SqlStore.open(database_url, migrate=True)
    await first.schedule_timer(TimerKind.WAIT_UPDATE, "due-while-down", START)
    await first.schedule_timer(TimerKind.WAIT_UPDATE, "later", START + timedelta(hours=2))
    await first.close()  # the service stops with both timers pending
    clock.advance(30)
    fired = Fired()
    second = await SqlStore.open(database_url, migrate=True)
    try:
        runner = TimerRunner(second, fired.handlers(), clock=clock)
        await runner.tick()
        await runner.tick()
        clock.advance(120)
        await runner.tick()
    finally:
        await second.close()
    assert fired.keys == {"due-while-down": 1, "later": 1}


async def test_the_scheduler_fires_a_missed_timer_at_start_up(
    store: SqlStore, clock: Clock
) -> None:
    await store.schedule_timer(TimerKind.WAIT_UPDATE, "missed", START)
    clock.advance(10)
    fired = Fired()
    scheduler = TimerScheduler(TimerRunner(store, fired.handlers(), clock=clock), tick_seconds=3600)
    scheduler.start()
    try:
        await asyncio.wait_for(fired.event.wait(), timeout=10)
    finally:
        await scheduler.stop()
    assert fired.keys == {"missed": 1}
    assert not scheduler.running


@pytest.mark.postgres
async def test_concurrent_runners_fire_each_timer_once(
    postgres_schema_url: str, clock: Clock
) -> None:
    stores = [await SqlStore.open(postgres_schema_url, migrate=True) for _ in range(2)]
    try:
        for n in range(30):
            await stores[0].schedule_timer(TimerKind.WAIT_UPDATE, f"t{n}", START)
        fired = Fired()
        runners = [TimerRunner(s, fired.handlers(), clock=clock) for s in stores]
        counts = await asyncio.gather(*(r.tick() for r in runners))
    finally:
        for opened in stores:
            await opened.close()
    assert sum(counts) == 30
    assert set(fired.keys.values()) == {1}
    assert len(fired.keys) == 30


@pytest.mark.postgres
async def test_concurrent_claims_take_each_timer_once(postgres_schema_url: str) -> None:
    """Without the lead too (one lost mid-tick): the claims alone keep a timer to one run."""
    stores = [await SqlStore.open(postgres_schema_url, migrate=True) for _ in range(2)]

    async def claim_all(store: SqlStore) -> list[str]:
        claimed = []
        while (timer := await store.claim_due_timer(START)) is not None:
            claimed.append(timer.key)
        return claimed

    try:
        for n in range(30):
            await stores[0].schedule_timer(TimerKind.WAIT_UPDATE, f"t{n}", START)
        claims = await asyncio.gather(*(claim_all(s) for s in stores))
    finally:
        for opened in stores:
            await opened.close()
    assert sorted(claims[0] + claims[1]) == sorted(f"t{n}" for n in range(30))


@pytest.mark.postgres
async def test_only_one_process_leads_at_a_time(postgres_schema_url: str) -> None:
    stores = [await SqlStore.open(postgres_schema_url, migrate=True) for _ in range(2)]
    try:
        async with stores[0].timer_lead() as first, stores[1].timer_lead() as second:
            leads = (first, second)
        async with stores[1].timer_lead() as after_release:
            pass
    finally:
        for opened in stores:
            await opened.close()
    assert leads == (True, False)
    assert after_release


@pytest.mark.postgres
async def test_a_tick_without_the_lead_fires_nothing(
    postgres_schema_url: str, clock: Clock
) -> None:
    stores = [await SqlStore.open(postgres_schema_url, migrate=True) for _ in range(2)]
    fired = Fired()
    try:
        await stores[0].schedule_timer(TimerKind.WAIT_UPDATE, "x", START)
        async with stores[0].timer_lead():
            follower = await TimerRunner(stores[1], fired.handlers(), clock=clock).tick()
        leader = await TimerRunner(stores[1], fired.handlers(), clock=clock).tick()
    finally:
        for opened in stores:
            await opened.close()
    assert (follower, leader) == (0, 1)
