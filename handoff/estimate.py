"""How long a queued customer will wait for a person: a range from a queueing model.

Wait times are ranges from a model of the real queue and the agents on shift, never a
constant. The model is Erlang-A (M/M/c+M) for the customers ahead of the one
we answer:

* Every conversation slot on shift is busy until it frees; a slot turns over every
  ``pickup_s + handle`` seconds on average, where the handle time is the mean of the recent
  handle times and ``pickup_s`` is the time an agent takes to claim the next customer once
  free.
* Each customer ahead gives up at a rate fitted to recent waits (exponential patience,
  maximum likelihood on censored data: served customers tell us they waited *at least* that
  long).
* With ``j`` customers still ahead and every slot busy, the next one leaves the queue after an
  exponential time with rate ``slots / cycle + (j + 1) / patience``, where the cycle is
  ``pickup_s + handle`` except for the conversations already in hand (they end without a
  pickup first, so the first stages use ``handle`` alone). The ``+ 1`` is the customer we
  answer: the estimate is the wait *if they stay*, which is what served customers
  experience (their own patience censors the long waits).
* The wait is the sum of those stages plus one pickup; its distribution is summarised by a
  gamma distribution with the same mean and variance, whose 10th and 90th percentiles give
  the 80% range.
* Changes of capacity (shifts, lunches, breaks, closing) stretch or compress time: the model
  is solved at the reference capacity and its times are mapped through the schedule's
  cumulative capacity. When nobody is on shift the wait starts when capacity returns
  (``WaitEstimate.available_at``).

API (pure; the caller gathers the live state and passes the clock)::

    state = DeskState(
        ahead=3,                                   # customers in the queue before this one
        agents=(AgentLoad(capacity=2, load=2), AgentLoad(capacity=1, load=0)),
        handle_times_s=(412.0, 280.5, ...),        # recent handle times, claim to resolve
        waits=(WaitOutcome(95.0, gave_up=False), WaitOutcome(610.0, gave_up=True), ...),
        schedule=(CapacityChange(at=lunch, slots=1), CapacityChange(at=back, slots=3)),
    )
    estimate = estimate_wait(state, now)           # None: nobody on shift or scheduled
    estimate.point_s, estimate.low_s, estimate.high_s, estimate.available_at

``handoff.wait_text`` turns an estimate into customer-facing words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import NormalDist

#: Lower bound of every stated time: nobody is claimed in zero seconds.
MIN_WAIT_S = 1.0


@dataclass(frozen=True, slots=True)
class AgentLoad:
    """One agent on shift: how many conversations they take at once and how many they have."""

    capacity: int
    load: int


@dataclass(frozen=True, slots=True)
class WaitOutcome:
    """How one recent queued customer's wait ended: claimed after ``waited_s``, or gave up."""

    waited_s: float
    gave_up: bool


@dataclass(frozen=True, slots=True)
class CapacityChange:
    """From ``at`` on, the desk has ``slots`` conversation slots on shift in total."""

    at: datetime
    slots: int


@dataclass(frozen=True, slots=True)
class DeskState:
    """What the live desk knows when a customer asks how long they will wait.

    Attributes:
        ahead: Customers in the queue before this one (0: next in line).
        agents: Agents on shift now (not on a break), with their capacity and current load.
        handle_times_s: Recent handle times (claim to resolve) in seconds, any order.
        waits: How recent queued customers' waits ended (claimed or gave up).
        schedule: Upcoming changes of the total slots on shift; entries at or before ``now``
            are ignored (``agents`` is the present). Should reach past the next opening.
    """

    ahead: int
    agents: tuple[AgentLoad, ...]
    handle_times_s: tuple[float, ...] = ()
    waits: tuple[WaitOutcome, ...] = ()
    schedule: tuple[CapacityChange, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class WaitModel:
    """Priors and settings of the estimator.

    Attributes:
        prior_handle_s: Mean handle time assumed before any is measured.
        prior_patience_s: Mean patience assumed before any abandonment is measured.
        prior_weight: How many observations the priors are worth; data outweighs them fast.
        pickup_s: Mean time an agent takes to claim the next customer once a slot is free.
        coverage: Probability the stated range should hold.
    """

    prior_handle_s: float = 480.0
    prior_patience_s: float = 900.0
    prior_weight: float = 2.0
    pickup_s: float = 30.0
    coverage: float = 0.8


@dataclass(frozen=True, slots=True)
class WaitEstimate:
    """The expected wait of a queued customer who stays, with its range.

    Attributes:
        point_s: Expected wait in seconds (always positive).
        low_s: Lower end of the range (``coverage`` of waits fall in ``[low_s, high_s]``).
        high_s: Upper end of the range.
        available_at: When an agent is next on shift, if nobody is now; else None.
        handle_s: Fitted mean handle time the estimate used.
        patience_s: Fitted mean patience the estimate used.
    """

    point_s: float
    low_s: float
    high_s: float
    available_at: datetime | None
    handle_s: float
    patience_s: float


def mean_handle_s(handle_times_s: tuple[float, ...], model: WaitModel) -> float:
    """Mean handle time: the sample mean, shrunk towards the prior.

    The prior counts as ``prior_weight`` observations at ``prior_handle_s``. Handle times are
    right-skewed (roughly log-normal), but the mean of a fitted log-normal is badly off when
    they are not: on exponential handle times it overstates the mean by 28% (the benchmark
    tried it), while the sample mean is unbiased whatever the shape.
    """
    positive = [t for t in handle_times_s if t > 0]
    w = model.prior_weight
    if w + len(positive) <= 0:
        return model.prior_handle_s
    return (w * model.prior_handle_s + sum(positive)) / (w + len(positive))


def mean_patience_s(waits: tuple[WaitOutcome, ...], model: WaitModel) -> float:
    """Exponential patience by maximum likelihood on censored waits, with a prior.

    Every wait is exposure; only those who gave up are events. The prior adds
    ``prior_weight`` events over ``prior_weight * prior_patience_s`` seconds.
    """
    events = model.prior_weight + sum(1 for w in waits if w.gave_up)
    exposure = model.prior_weight * model.prior_patience_s + sum(
        max(w.waited_s, 0.0) for w in waits
    )
    if events <= 0:
        return math.inf  # nobody has ever given up and no prior says they would
    return max(exposure / events, MIN_WAIT_S)


def estimate_wait(
    state: DeskState, now: datetime, *, model: WaitModel | None = None
) -> WaitEstimate | None:
    """Estimate how long the customer after ``state.ahead`` others will wait for a person.

    Args:
        state: The live queue, agents and recent observations.
        now: The current time (same time zone convention as the schedule).
        model: Priors and settings; the defaults when None.

    Returns:
        The estimate with its range, or None when nobody is on shift and no capacity is
        scheduled (no honest number exists; say when people are back instead).
    """
    model = model or WaitModel()
    handle = mean_handle_s(state.handle_times_s, model)
    patience = mean_patience_s(state.waits, model)
    segments = _capacity_segments(state, now)
    start, ref_slots = _reference(segments)
    if ref_slots == 0:
        return None
    if start == 0.0:
        free = sum(max(a.capacity - a.load, 0) for a in state.agents)
        overload = sum(max(a.load - a.capacity, 0) for a in state.agents)
        handling = sum(min(a.load, a.capacity) for a in state.agents)
    else:
        # Nobody is on shift now: agents start with free hands.
        free, overload, handling = ref_slots, 0, 0
    mean, var = model.pickup_s, model.pickup_s**2
    # Customers still ahead of ours once the free slots are taken; each stage ends when one
    # of them leaves the queue (claimed or gave up), the last one when ours is claimed.
    # Overloaded agents must finish more than one conversation before they free a slot.
    still_ahead = state.ahead - free + overload if state.ahead >= free else -1
    for stage, j in enumerate(range(still_ahead, -1, -1)):
        # A slot turns over every pickup + handle, except that a conversation already in
        # hand ends without a pickup first: the first `handling` slots free faster. Using
        # the long-run turnover throughout overstated waits by about 5% in the benchmark.
        cycle = handle if stage < handling else model.pickup_s + handle
        rate = ref_slots / cycle + (j + 1) / patience
        mean += 1.0 / rate
        var += 1.0 / rate**2
    low, high = _gamma_range(mean, var, model.coverage)
    to_time = _TimeMapper(tuple(segments), ref_slots)
    point = max(to_time(mean), MIN_WAIT_S)
    return WaitEstimate(
        point_s=point,
        low_s=min(max(to_time(low), MIN_WAIT_S), point),
        high_s=max(to_time(high), point),
        available_at=None if start == 0.0 else now + timedelta(seconds=start),
        handle_s=handle,
        patience_s=patience,
    )


def _capacity_segments(state: DeskState, now: datetime) -> list[tuple[float, int]]:
    """(start offset in seconds, slots) from now on, the first one starting at 0."""
    segments = [(0.0, sum(a.capacity for a in state.agents))]
    for change in sorted(state.schedule, key=lambda c: c.at):
        offset = (change.at - now).total_seconds()
        if offset > 0:
            segments.append((offset, max(change.slots, 0)))
    return segments


def _reference(segments: list[tuple[float, int]]) -> tuple[float, int]:
    """When capacity is first available and how many slots it has (0: never)."""
    for start, slots in segments:
        if slots > 0:
            return start, slots
    return 0.0, 0


@dataclass(frozen=True, slots=True)
class _TimeMapper:
    """Maps a time at constant reference capacity to wall-clock time under the schedule.

    ``x`` seconds at ``ref_slots`` are ``x * ref_slots`` slot-seconds of work; the result is
    when the schedule has delivered that much, skipping periods with nobody on shift.
    """

    segments: tuple[tuple[float, int], ...]
    ref_slots: int

    def __call__(self, x: float) -> float:
        work = x * self.ref_slots
        done = 0.0
        last_slots = self.ref_slots
        for i, (start, slots) in enumerate(self.segments):
            end = self.segments[i + 1][0] if i + 1 < len(self.segments) else math.inf
            if slots > 0:
                last_slots = slots
                if done + slots * (end - start) > work:
                    return start + (work - done) / slots
                done += slots * (end - start)
        # Capacity ends for good: the schedule does not say when people return, so assume
        # the last capacity seen resumes when the schedule ends rather than never.
        return self.segments[-1][0] + (work - done) / last_slots


def _gamma_range(mean: float, var: float, coverage: float) -> tuple[float, float]:
    """Central ``coverage`` interval of a gamma distribution with this mean and variance.

    Uses the Wilson-Hilferty cube-root normal approximation, accurate to a few percent for
    shapes of 1 and more; a sum of exponential stages always has shape of at least 1.
    """
    if var <= 0.0:
        return mean, mean
    shape = mean**2 / var
    z = NormalDist().inv_cdf(0.5 + coverage / 2)
    c = 1.0 / (9.0 * shape)

    def quantile(zq: float) -> float:
        return mean * max(1.0 - c + zq * math.sqrt(c), 0.0) ** 3

    return quantile(-z), quantile(z)
