"""Timers: APScheduler wakes the runner, the runner fires due timers exactly once.

Timers are durable rows in our own ``timer`` table (see :mod:`handoff.timers`), not
APScheduler jobs: APScheduler's SQLAlchemy job store pickles jobs and runs them twice or
not at all when two processes share it. Here APScheduler's ``AsyncIOScheduler`` runs one
in-memory interval job, :meth:`TimerRunner.tick`, every few seconds and once at start-up.
Each tick:

1. takes the deployment's timer lead (a PostgreSQL advisory lock; SQLite serves one
   process, which always leads), so one process at a time runs timers;
2. claims due timers one by one with a conditional update, so each fires once even if
   two processes ran at the same moment;
3. runs the handler registered for the timer's kind.

Restart-safe: a timer due while the service was stopped is still unclaimed in the table
and fires at the first tick after start-up. A handler that fails is logged and not
retried (its timer was claimed): handlers re-arm their own timers where that matters.
A handler that fails because the database is unavailable did not fail its timer: the
timer is given back to the store to fire again (at once if the database answers; else
by the first tick that reaches it), and the tick stops there. A process that stops
during the outage loses that give-back: its timer stays claimed, as after a crash.

This is the only module that imports ``apscheduler`` (tests/test_architecture.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handoff.errors import StoreUnavailable
from handoff.store.port import Store
from handoff.timers import Timer, TimerKind

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Runs one fired timer; ``now`` is the runner's clock at the claim.
TimerHandler = Callable[[Timer, datetime], Awaitable[None]]

#: Most timers one tick fires, so one tick cannot run for ever on a huge backlog.
MAX_PER_TICK = 500
_JOB_ID = "helpline-timers"


def system_clock() -> datetime:
    """The real time, aware, in UTC."""
    return datetime.now(UTC)


class TimerRunner:
    """Fires due timers through their registered handlers.

    Args:
        store: where the timers live.
        handlers: the handler of each timer kind (registered in one place, by the caller).
        clock: the current aware time; tests pass a controllable one.
    """

    def __init__(
        self,
        store: Store,
        handlers: Mapping[TimerKind, TimerHandler],
        *,
        clock: Clock = system_clock,
    ) -> None:
        self._store = store
        self._handlers = dict(handlers)
        self._clock = clock
        self._busy = asyncio.Lock()
        # Claimed timers whose run an outage cut short, not yet given back to the store.
        self._unfinished: list[Timer] = []

    async def tick(self) -> int:
        """Fire what is due if this process leads; the scheduler calls this.

        Returns:
            How many timers fired (0 when another process leads).
        """
        async with self._busy, self._store.timer_lead() as leading:
            if not leading:
                return 0
            return await self._fire_due()

    async def _fire_due(self) -> int:
        await self._give_back()
        fired = 0
        while fired < MAX_PER_TICK:
            now = self._clock()
            timer = await self._store.claim_due_timer(now)
            if timer is None:
                break
            handler = self._handlers.get(timer.kind)
            if handler is None:
                fired += 1
                log.error("no handler for timer %s %s", timer.kind, timer.key)
                continue
            try:
                await handler(timer, now)
            except StoreUnavailable:
                # The database failed, not the timer: it fires again once the database
                # answers. The rest of the tick would only fail the same way.
                log.warning("timer %s %s waits: the database is unavailable", timer.kind, timer.key)
                self._unfinished.append(timer)
                with contextlib.suppress(StoreUnavailable):  # else the next tick does
                    await self._give_back()
                break
            except Exception:
                # One broken timer must not stop the others; it stays claimed (fired once).
                log.exception("timer %s %s failed", timer.kind, timer.key)
            fired += 1
        return fired

    async def _give_back(self) -> None:
        """Put back the timers whose run an outage cut short, while the database answers.

        Raises:
            StoreUnavailable: the database still does not answer; they stay to be given
                back by the next tick.
        """
        while self._unfinished:
            await self._store.unclaim_timer(self._unfinished[0])
            self._unfinished.pop(0)

    async def idle(self) -> None:
        """Wait until a running tick has finished (used when stopping)."""
        async with self._busy:
            return


class TimerScheduler:
    """APScheduler's ``AsyncIOScheduler`` waking a :class:`TimerRunner` every few seconds.

    The job is in memory (nothing to pickle); the durable state is the ``timer`` table.
    It runs once at start-up, so timers missed while the service was stopped fire then.

    Args:
        runner: what each tick runs.
        tick_seconds: how often to look for due timers.
    """

    def __init__(self, runner: TimerRunner, *, tick_seconds: float = 5.0) -> None:
        self._runner = runner
        self._tick_seconds = tick_seconds
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={
                # A tick missed (the loop was busy) is simply the next one: no pile-up.
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": None,
            },
        )

    @property
    def running(self) -> bool:
        """Whether the scheduler has been started and not stopped."""
        return bool(self._scheduler.running)

    def start(self) -> None:
        """Start ticking now (call inside the running event loop)."""
        self._scheduler.add_job(
            self._tick,
            "interval",
            seconds=self._tick_seconds,
            id=_JOB_ID,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()

    async def stop(self) -> None:
        """Stop ticking and wait for a tick in progress to finish."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        await self._runner.idle()

    async def _tick(self) -> None:
        try:
            await self._runner.tick()
        except StoreUnavailable:
            log.warning("timers wait: the database is unavailable")
        except Exception:
            # The scheduler would only log it too; say what failed.
            log.exception("timer tick failed")
