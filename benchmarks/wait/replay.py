"""Replay the simulated desk through the product: a real store, ``DeskStatus``, a fake clock.

The direct simulation (:mod:`benchmarks.wait.simulate`) hands ``estimate_wait`` a state it
builds itself. Customers are not quoted from that: the service asks
:class:`bot.desk.status.DeskStatus`, which reads the queue, the agents and their loads from
the store and fits the estimate to the desk's history (:class:`bot.desk.recent_waits.RecentWaits`).
This replay writes the same simulated day (same seed, same customers, same waits) into a
real database through the store's own methods, as the runtime and the console would, with
the store's clock set to the simulated time, and quotes each arriving customer from a
``DeskStatus`` built by the service's own factory. Nothing of ours is replaced; only time
and the people (customers, agents) are simulated. Run from the repository root::

    python -m benchmarks.wait.replay                       # SQLite file, modest sizes
    python -m benchmarks.wait.replay --database postgresql+psycopg://postgres@127.0.0.1/test
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from benchmarks.load.run import fresh_database
from benchmarks.wait.replay_report import Replayed, format_replay
from benchmarks.wait.report import Prediction, Result
from benchmarks.wait.scenarios import Scenario, all_scenarios
from benchmarks.wait.simulate import EPOCH, DeskEvent, Happening, History, run
from bot.desk.recent_waits import RECENT_HANDOFFS
from bot.desk.status import DeskStatus
from bot.dialogue.phrases import Phrases
from bot.service.composition import build_desk_status
from bot.settings.model import OfficeHoursConfig, Settings
from handoff.model import HandoffReason, NewMessage, Presence, SenderKind
from handoff.office_hours import WEEKDAYS
from handoff.store.sql import SqlStore

#: The simulation's time zero as the store keeps times (aware, UTC).
START = EPOCH.replace(tzinfo=UTC)
#: The working day's desk hours, every day (the simulated week has no weekend).
DAY_HOURS = "08:00-17:00"
#: The direct run sees as much history as the product reads: the last ``RECENT_HANDOFFS``
#: handoffs (their 14-day window is longer than any replay). With the standalone
#: benchmark's shorter history the two differ by that alone (benchmarks/wait/README.md).
PRODUCT_HISTORY = History(handles=RECENT_HANDOFFS, outcomes=RECENT_HANDOFFS)
#: What every simulated customer writes before they are handed to a person.
ASK = "Can I talk to a person, please?"


class SimulatedClock:
    """The store's clock: the simulated time, moved by the replay, never backwards."""

    def __init__(self) -> None:
        self._now = START

    def __call__(self) -> datetime:
        return self._now

    def at(self, seconds: float) -> datetime:
        """Move to ``seconds`` after the simulation's start and return that time."""
        moment = START + timedelta(seconds=seconds)
        if moment < self._now:
            raise ValueError(f"the replay cannot go back from {self._now} to {moment}")
        self._now = moment
        return moment


def desk_settings(scenario: Scenario, database_url: str) -> Settings:
    """The deployment the scenario stands for: office hours only for the working day."""
    office_hours: tuple[OfficeHoursConfig, ...] = ()
    if not scenario.stationary:
        office_hours = (OfficeHoursConfig(weekly=dict.fromkeys(WEEKDAYS, DAY_HOURS)),)
    return Settings(database_url=database_url, office_hours=office_hours)


@dataclass(slots=True)
class _Desk:
    """The replay's bookkeeping: which conversation and agent row is whose."""

    store: SqlStore
    status: DeskStatus
    clock: SimulatedClock
    agents: list[int]
    seen_every: timedelta
    on_duty: list[bool]
    seen_at: list[datetime]
    conversations: dict[int, UUID]
    quotes: dict[int, tuple[float, float, float]]
    promises: dict[int, tuple[int, int]]

    async def apply(self, event: DeskEvent, *, warmup_s: float) -> None:
        """Write one event to the store as the runtime or the console would."""
        now = self.clock.at(event.at)
        # Before the event: an agent at the desk through a quiet spell is not away.
        await self.keep_agents_seen(now)
        if event.happening is Happening.ON_DUTY:
            await self.store.set_presence(self.agents[event.agent], Presence.ONLINE)
            self.on_duty[event.agent], self.seen_at[event.agent] = True, now
        elif event.happening is Happening.OFF_DUTY:
            # Away and offline are alike to the estimate: neither takes customers.
            await self.store.set_presence(self.agents[event.agent], Presence.AWAY)
            self.on_duty[event.agent] = False
        elif event.happening is Happening.CLAIM:
            await self.store.claim(self.conversations[event.customer], self.agents[event.agent])
        elif event.happening is Happening.RESOLVE:
            await self.store.resolve(
                self.conversations[event.customer], agent_id=self.agents[event.agent]
            )
        elif event.happening is Happening.GIVE_UP:
            # The customer ends the chat (the runtime's /end) or leaves.
            await self.store.resolve(self.conversations[event.customer], agent_id=None)
        else:
            await self.arrive(event.customer, now, scored=event.at >= warmup_s)

    async def arrive(self, customer: int, now: datetime, *, scored: bool) -> None:
        """A customer asks for a person: stored, queued and quoted as the runtime does."""
        received = await self.store.receive_message(
            channel="web",
            sender_id=f"customer-{customer}",
            message=NewMessage(
                sender=SenderKind.CUSTOMER, text=ASK, external_id=f"customer-{customer}:1"
            ),
        )
        conversation = received.conversation.id
        self.conversations[customer] = conversation
        await self.store.request_handoff(
            conversation, reason=HandoffReason.CUSTOMER_ASKED, team=None, summary=ASK
        )
        position = await self.store.queue_position(conversation)
        if position is None:
            raise RuntimeError(f"customer {customer} is not in the queue after the handoff")
        quote = await self.status.quote_for(None, position, now)
        promise = self.status.words.promise(quote)
        estimate = quote.estimate
        if promise is not None and estimate is not None:
            await self.store.record_promise(
                conversation, low_s=promise[0], high_s=promise[1], point_s=round(estimate.point_s)
            )
        if not scored:
            return
        if estimate is None:
            self.quotes[customer] = (float("inf"),) * 3
        else:
            self.quotes[customer] = (estimate.point_s, estimate.low_s, estimate.high_s)
        if promise is not None:
            self.promises[customer] = promise

    async def keep_agents_seen(self, now: datetime) -> None:
        """Record the console activity of the agents on duty (they are at the desk).

        The console records activity at most once a minute; what the estimate sees is only
        whether the last record is older than ``away_after``, so recording every half of
        that gives the same quotes with a fifth of the writes.
        """
        for i, agent in enumerate(self.agents):
            if self.on_duty[i] and now - self.seen_at[i] >= self.seen_every:
                await self.store.agent_seen(agent)
                self.seen_at[i] = now


async def replay(scenario: Scenario, *, seed: int, database_url: str) -> Replayed:
    """Simulate ``scenario`` directly, then replay the same day through the store.

    Args:
        scenario: the desk to simulate.
        seed: the simulation's seed (the replay's customers are the direct run's).
        database_url: an empty database; the store migrates it.

    Returns:
        Both runs scored on the same served customers, with the store's recorded waits.
    """
    events: list[DeskEvent] = []
    direct = run(scenario, seed=seed, history=PRODUCT_HISTORY, record=events)
    clock = SimulatedClock()
    store = await SqlStore.open(database_url, clock=clock)
    started = time.perf_counter()
    try:
        settings = desk_settings(scenario, database_url)
        status = build_desk_status(settings, store, Phrases())
        agents = [
            (
                await store.add_agent(
                    login=f"agent{i}", name=f"Agent {i}", password_hash="-", capacity=1
                )
            ).id
            for i in range(len(scenario.duty))
        ]
        desk = _Desk(
            store=store,
            status=status,
            clock=clock,
            agents=agents,
            seen_every=timedelta(minutes=settings.routing.away_after_minutes) / 2,
            on_duty=[False] * len(agents),
            seen_at=[START] * len(agents),
            conversations={},
            quotes={},
            promises={},
        )
        for event in events:
            await desk.apply(event, warmup_s=scenario.warmup_s)
        recorded = await _recorded_waits(store, desk.conversations)
    finally:
        await store.close()
    return Replayed(
        direct=direct,
        product=_scored(direct, desk.quotes),
        promises=desk.promises,
        recorded_waits=recorded,
        seconds=time.perf_counter() - started,
    )


def _scored(direct: Result, quotes: dict[int, tuple[float, float, float]]) -> Result:
    """The direct run's customers and baselines, with our estimate as the product quoted it."""
    pairs = []
    for customer, (prediction, wait) in zip(direct.served, direct.pairs, strict=True):
        point, low, high = quotes[customer]
        pairs.append(
            (
                Prediction(
                    ours=point,
                    low=low,
                    high=high,
                    queue_length=prediction.queue_length,
                    last_to_enter=prediction.last_to_enter,
                    last_10=prediction.last_10,
                ),
                wait,
            )
        )
    return Result(
        scenario=direct.scenario,
        pairs=tuple(pairs),
        arrivals=len(quotes),
        microseconds_per_estimate=float("nan"),
        served=direct.served,
    )


async def _recorded_waits(store: SqlStore, conversations: dict[int, UUID]) -> dict[int, float]:
    """Each claimed customer's wait as the store recorded it (request to claim)."""
    waits = {}
    for customer, conversation in conversations.items():
        for handoff in await store.handoffs(conversation):
            if handoff.claimed_at is not None:
                waits[customer] = (handoff.claimed_at - handoff.requested_at).total_seconds()
    return waits


async def replay_all(scenarios: Sequence[Scenario], *, seed: int, database: str) -> list[Replayed]:
    """Replay each scenario on a fresh database, one after the other."""
    results = []
    with tempfile.TemporaryDirectory(prefix="wait-replay-") as folder:
        for i, scenario in enumerate(scenarios):
            # The load benchmark's: a SQLite file, or a fresh PostgreSQL schema.
            async with fresh_database(database, Path(folder), i) as url:
                results.append(await replay(scenario, seed=seed, database_url=url))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    """Replay the scenarios and print the comparison."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=10.0, help="per stationary scenario")
    parser.add_argument("--days", type=int, default=3, help="working days to simulate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database", default="sqlite", help="sqlite (a temporary file) or a PostgreSQL URL"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    scenarios = all_scenarios(hours=args.hours, days=args.days)
    results = asyncio.run(replay_all(scenarios, seed=args.seed, database=args.database))
    print(format_replay(results))
    database = "SQLite" if args.database == "sqlite" else "PostgreSQL"
    print(f"\nSeed {args.seed}, {args.hours:g} h per stationary scenario, {args.days} working")
    print(f"days, {database}; ran in {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
