"""Score wait estimators against a seeded discrete-event simulation of the desk.

At every arrival each estimator predicts the newcomer's wait from what the live desk would
know at that moment (queue, agents on duty and their load, recent handle times and queue
outcomes, the duty roster); nothing from the future. Only customers who are served are
scored, as contact centres do: a customer who gave up has no actual wait to compare with
(their time in the queue is only a lower bound). Run from the repository root::

    python -m benchmarks.wait.simulate            # full run, prints markdown tables
    python -m benchmarks.wait.simulate --hours 50 --days 3   # quicker
"""

from __future__ import annotations

import argparse
import enum
import heapq
import math
import random
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from benchmarks.wait.report import ESTIMATORS, Prediction, Result, format_report
from benchmarks.wait.scenarios import (
    HANDLE_CV,
    HANDLE_MEAN_S,
    PATIENCE_MEAN_S,
    PICKUP_MEAN_S,
    Scenario,
    all_scenarios,
)
from handoff.estimate import AgentLoad, CapacityChange, DeskState, WaitOutcome, estimate_wait

#: Simulated time zero: a Monday at midnight.
EPOCH = datetime(2026, 1, 5)
#: How far ahead the roster is passed to our estimator.
ROSTER_LOOKAHEAD_S = 24 * 3600.0
#: How many recent observations the live desk hands the estimators.
RECENT_HANDLES = 100
RECENT_OUTCOMES = 200

_ARRIVAL, _ABANDON, _CLAIM, _DONE, _ON, _OFF = range(6)
_IDLE, _PICKUP, _HANDLE = range(3)
_WAITING, _PICKING, _SERVED, _GAVE_UP = range(4)


class Happening(enum.Enum):
    """What the desk's store would see happen (an agent opening a chat is not seen)."""

    ARRIVE = "arrive"  # a customer asks for a person and joins the queue
    CLAIM = "claim"  # an agent takes the customer
    RESOLVE = "resolve"  # the agent ends the conversation
    GIVE_UP = "give_up"  # the customer leaves before being claimed
    ON_DUTY = "on_duty"  # the agent starts taking customers
    OFF_DUTY = "off_duty"  # the agent stops (break, lunch, end of shift)


@dataclass(frozen=True, slots=True)
class DeskEvent:
    """One thing that happened in a simulated day, at ``at`` seconds; ``agent`` and
    ``customer`` are -1 when they do not apply. A replay writes these to a real store."""

    at: float
    happening: Happening
    agent: int = -1
    customer: int = -1


@dataclass(frozen=True, slots=True)
class History:
    """How much of the desk's recent past the estimators are handed at each arrival."""

    handles: int = RECENT_HANDLES
    outcomes: int = RECENT_OUTCOMES


@dataclass(slots=True)
class _Desk:
    """Mutable simulation state of one run."""

    rng: random.Random
    agents: int
    history: History
    on_duty: list[bool] = field(default_factory=list)
    task: list[int] = field(default_factory=list)
    queue: deque[int] = field(default_factory=deque)
    status: list[int] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)
    waiting: int = 0
    picking: int = 0
    handles: deque[float] = field(default_factory=deque)
    outcomes: deque[WaitOutcome] = field(default_factory=deque)
    served_waits: deque[float] = field(default_factory=lambda: deque(maxlen=10))
    predictions: dict[int, Prediction] = field(default_factory=dict)
    estimate_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.on_duty = [False] * self.agents
        self.task = [_IDLE] * self.agents
        self.handles = deque(maxlen=self.history.handles)
        self.outcomes = deque(maxlen=self.history.outcomes)


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))


def _next_arrival(rng: random.Random, scenario: Scenario, t: float) -> float:
    """Next arrival after ``t`` of the piecewise-constant, periodic Poisson process."""
    starts = [start for start, _ in scenario.arrivals]
    while True:
        cycle, within = divmod(t, scenario.period_s)
        i = bisect_right(starts, within) - 1
        end = starts[i + 1] if i + 1 < len(starts) else scenario.period_s
        rate = scenario.arrivals[i][1]
        gap = rng.expovariate(rate) if rate > 0 else math.inf
        if within + gap < end:
            return t + gap
        # Memoryless: restart at the segment boundary.
        t = cycle * scenario.period_s + end


def _roster(scenario: Scenario) -> tuple[list[tuple[float, int, int]], list[float], list[int]]:
    """Duty events (time, kind, agent) and the total on duty after each change."""
    events: list[tuple[float, int, int]] = []
    cycles = math.ceil(scenario.horizon_s / scenario.period_s)
    for agent, intervals in enumerate(scenario.duty):
        for k in range(cycles):
            for start, end in intervals:
                events.append((start + k * scenario.period_s, _ON, agent))
                events.append((end + k * scenario.period_s, _OFF, agent))
    events.sort()
    times: list[float] = []
    totals: list[int] = []
    on = 0
    for at, kind, _ in events:
        on += 1 if kind == _ON else -1
        if times and times[-1] == at:
            totals[-1] = on
        else:
            times.append(at)
            totals.append(on)
    return events, times, totals


def _predict(
    desk: _Desk, now: float, changes: Sequence[CapacityChange], times: Sequence[float]
) -> Prediction:
    ahead = desk.waiting + desk.picking
    # A free agent's slot stays free until the claim, as in the live desk.
    loads = tuple(
        AgentLoad(capacity=1, load=1 if desk.task[a] == _HANDLE else 0)
        for a in range(desk.agents)
        if desk.on_duty[a]
    )
    lo, hi = bisect_right(times, now), bisect_right(times, now + ROSTER_LOOKAHEAD_S)
    state = DeskState(
        ahead=ahead,
        agents=loads,
        handle_times_s=tuple(desk.handles),
        waits=tuple(desk.outcomes),
        schedule=tuple(changes[lo:hi]),
    )
    started = time.perf_counter()
    ours = estimate_wait(state, EPOCH + timedelta(seconds=now))
    desk.estimate_seconds += time.perf_counter() - started

    mean_handle = sum(desk.handles) / len(desk.handles) if desk.handles else HANDLE_MEAN_S
    slots = len(loads)
    free = sum(1 for a in loads if a.load == 0)
    # Textbook queue-length estimator: departures needed times the mean time between them.
    queue_length = (ahead - free + 1) * mean_handle / max(slots, 1) if ahead >= free else 0.0
    served = desk.served_waits
    return Prediction(
        ours=math.inf if ours is None else ours.point_s,
        low=math.inf if ours is None else ours.low_s,
        high=math.inf if ours is None else ours.high_s,
        queue_length=queue_length,
        last_to_enter=served[-1] if served else 0.0,
        last_10=sum(served) / len(served) if served else 0.0,
    )


def run(
    scenario: Scenario,
    *,
    seed: int,
    history: History = History(),
    record: list[DeskEvent] | None = None,
) -> Result:
    """Simulate one scenario and score every estimator on the served customers.

    Args:
        scenario: the desk to simulate.
        seed: with the scenario's name, seeds every random draw.
        history: how many recent handle times and queue outcomes the estimators see.
        record: when given, every event the store would see is appended to it, in order.
    """

    def seen(at: float, happening: Happening, agent: int = -1, customer: int = -1) -> None:
        if record is not None:
            record.append(DeskEvent(at, happening, agent, customer))

    rng = random.Random(f"{seed}:{scenario.name}")
    desk = _Desk(rng=rng, agents=len(scenario.duty), history=history)
    duty, times, totals = _roster(scenario)
    changes = [
        CapacityChange(at=EPOCH + timedelta(seconds=t), slots=n)
        for t, n in zip(times, totals, strict=True)
    ]
    # (time, tie-breaker, kind, agent, customer, handle time)
    heap: list[tuple[float, int, int, int, int, float]] = []
    seq = 0

    def push(at: float, kind: int, agent: int = -1, customer: int = -1, handle: float = 0) -> None:
        nonlocal seq
        seq += 1
        heapq.heappush(heap, (at, seq, kind, agent, customer, handle))

    def dispatch(now: float) -> None:
        for a in range(desk.agents):
            if not (desk.on_duty[a] and desk.task[a] == _IDLE):
                continue
            while desk.queue and desk.status[desk.queue[0]] != _WAITING:
                desk.queue.popleft()
            if not desk.queue:
                return
            customer = desk.queue.popleft()
            desk.status[customer] = _PICKING
            desk.waiting -= 1
            desk.picking += 1
            desk.task[a] = _PICKUP
            push(now + rng.expovariate(1 / PICKUP_MEAN_S), _CLAIM, a, customer)

    for at, kind, agent in duty:
        push(at, kind, agent)
    push(_next_arrival(rng, scenario, 0.0), _ARRIVAL)
    actual: dict[int, float] = {}
    while heap:
        now, _, kind, agent, customer, handle = heapq.heappop(heap)
        if kind == _ARRIVAL:
            customer = len(desk.status)
            if now >= scenario.warmup_s:
                desk.predictions[customer] = _predict(desk, now, changes, times)
            seen(now, Happening.ARRIVE, customer=customer)
            desk.status.append(_WAITING)
            desk.arrived.append(now)
            desk.queue.append(customer)
            desk.waiting += 1
            push(now + rng.expovariate(1 / PATIENCE_MEAN_S), _ABANDON, customer=customer)
            dispatch(now)
            following = _next_arrival(rng, scenario, now)
            if following < scenario.horizon_s:
                push(following, _ARRIVAL)
        elif kind == _ABANDON:
            # A customer may leave until claimed, even while an agent is opening the chat.
            if desk.status[customer] in (_WAITING, _PICKING):
                if desk.status[customer] == _WAITING:
                    desk.waiting -= 1
                else:
                    desk.picking -= 1
                desk.status[customer] = _GAVE_UP
                seen(now, Happening.GIVE_UP, customer=customer)
                desk.outcomes.append(WaitOutcome(now - desk.arrived[customer], gave_up=True))
        elif kind == _CLAIM and desk.status[customer] != _PICKING:
            # The customer left while the agent was opening the chat: on to the next one.
            desk.task[agent] = _IDLE
            dispatch(now)
        elif kind == _CLAIM:
            seen(now, Happening.CLAIM, agent, customer)
            desk.status[customer] = _SERVED
            desk.picking -= 1
            wait = now - desk.arrived[customer]
            actual[customer] = wait
            desk.outcomes.append(WaitOutcome(wait, gave_up=False))
            desk.served_waits.append(wait)
            desk.task[agent] = _HANDLE
            handle = _lognormal(rng, HANDLE_MEAN_S, HANDLE_CV)
            push(now + handle, _DONE, agent, customer, handle)
        elif kind == _DONE:
            seen(now, Happening.RESOLVE, agent, customer)
            desk.handles.append(handle)
            desk.task[agent] = _IDLE
            dispatch(now)
        elif kind == _ON:
            seen(now, Happening.ON_DUTY, agent)
            desk.on_duty[agent] = True
            dispatch(now)
        else:
            seen(now, Happening.OFF_DUTY, agent)
            desk.on_duty[agent] = False
    served = [c for c in actual if c in desk.predictions]
    return Result(
        scenario=scenario,
        pairs=tuple((desk.predictions[c], actual[c]) for c in served),
        arrivals=len(desk.predictions),
        microseconds_per_estimate=1e6 * desk.estimate_seconds / max(len(desk.predictions), 1),
        served=tuple(served),
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Run every scenario and print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=400.0, help="per stationary scenario")
    parser.add_argument("--days", type=int, default=20, help="working days to simulate")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = [run(s, seed=args.seed) for s in all_scenarios(hours=args.hours, days=args.days)]
    print(format_report(results))
    print(f"\n{len(ESTIMATORS)} estimators, seed {args.seed}, {args.hours:g} h per stationary")
    print(f"scenario, {args.days} working days; ran in {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
