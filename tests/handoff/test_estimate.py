"""The wait estimate: a range from the queue, the agents on shift and recent history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from handoff.estimate import (
    AgentLoad,
    CapacityChange,
    DeskState,
    WaitEstimate,
    WaitModel,
    WaitOutcome,
    estimate_wait,
    mean_handle_s,
    mean_patience_s,
)

NOW = datetime(2026, 3, 2, 10, 0)  # a Monday
BUSY = AgentLoad(capacity=1, load=1)
FREE = AgentLoad(capacity=1, load=0)
HANDLES = (300.0, 420.0, 360.0, 240.0, 480.0)
WAITS = (WaitOutcome(120.0, gave_up=False), WaitOutcome(600.0, gave_up=True))


def _state(
    ahead: int,
    agents: tuple[AgentLoad, ...],
    *,
    waits: tuple[WaitOutcome, ...] = WAITS,
    schedule: tuple[CapacityChange, ...] = (),
) -> DeskState:
    return DeskState(ahead, agents, handle_times_s=HANDLES, waits=waits, schedule=schedule)


def _estimate(state: DeskState) -> WaitEstimate:
    estimate = estimate_wait(state, NOW)
    assert estimate is not None
    return estimate


def _at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


STATES = {
    "next with a free agent": _state(0, (FREE,)),
    "third with a free agent": _state(2, (FREE, BUSY)),
    "next, all busy": _state(0, (BUSY, BUSY)),
    "tenth, all busy": _state(9, (BUSY,) * 3),
    "no history at all": DeskState(ahead=4, agents=(BUSY,)),
    "overloaded agent": _state(1, (AgentLoad(capacity=2, load=4),)),
    "closed until 08:00 tomorrow": _state(
        3, (), schedule=(CapacityChange(at=_at(22 * 60), slots=2),)
    ),
    "lunch in ten minutes": _state(
        6, (BUSY, BUSY), schedule=(CapacityChange(_at(10), 1), CapacityChange(_at(40), 2))
    ),
}


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_never_promises_zero(state: DeskState) -> None:
    estimate = _estimate(state)
    assert min(estimate.low_s, estimate.point_s, estimate.high_s) > 0


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_the_range_contains_the_point(state: DeskState) -> None:
    estimate = _estimate(state)
    assert estimate.low_s <= estimate.point_s <= estimate.high_s


@pytest.mark.parametrize("state", STATES.values(), ids=STATES.keys())
def test_the_same_state_gives_the_same_estimate(state: DeskState) -> None:
    assert estimate_wait(state, NOW) == estimate_wait(state, NOW)


def test_is_monotone_in_the_number_ahead() -> None:
    points = [_estimate(_state(ahead, (FREE, BUSY, BUSY))).point_s for ahead in range(12)]
    assert points == sorted(points)
    assert points[-1] > points[0]


def test_more_agents_give_a_shorter_wait() -> None:
    points = [_estimate(_state(8, (BUSY,) * agents)).point_s for agents in range(1, 8)]
    assert points == sorted(points, reverse=True)
    assert points[0] > points[-1]


def test_a_free_agent_means_only_the_pickup() -> None:
    estimate = _estimate(_state(0, (FREE,)))
    assert estimate.point_s == pytest.approx(WaitModel().pickup_s)


def test_nobody_on_shift_waits_for_the_next_shift() -> None:
    opening = _at(22 * 60)
    estimate = _estimate(_state(0, (), schedule=(CapacityChange(at=opening, slots=2),)))
    assert estimate.available_at == opening
    assert estimate.low_s >= (opening - NOW).total_seconds()


def test_agents_on_shift_mean_no_opening_time() -> None:
    assert _estimate(_state(3, (BUSY,))).available_at is None


def test_nobody_on_shift_or_scheduled_has_no_estimate() -> None:
    assert estimate_wait(_state(2, (), schedule=(CapacityChange(_at(5), 0),)), NOW) is None


def test_a_lunch_break_ahead_lengthens_the_wait() -> None:
    steady = _estimate(_state(6, (BUSY, BUSY)))
    lunch = _estimate(
        _state(6, (BUSY, BUSY), schedule=(CapacityChange(_at(1), 1), CapacityChange(_at(60), 2)))
    )
    assert lunch.point_s > steady.point_s


def test_schedule_entries_in_the_past_are_ignored() -> None:
    past = (CapacityChange(_at(-30), 0),)
    assert _estimate(_state(4, (BUSY,), schedule=past)) == _estimate(_state(4, (BUSY,)))


def test_impatient_customers_ahead_shorten_the_wait() -> None:
    patient = _estimate(_state(8, (BUSY,), waits=(WaitOutcome(3600.0, gave_up=False),) * 20))
    impatient = _estimate(_state(8, (BUSY,), waits=(WaitOutcome(60.0, gave_up=True),) * 20))
    assert impatient.point_s < patient.point_s


@pytest.mark.parametrize(
    ("handles", "expected"),
    [
        ((), 480.0),  # the prior alone
        ((300.0,) * 98, (2 * 480.0 + 98 * 300.0) / 100),  # data outweighs the prior
    ],
)
def test_mean_handle_time_is_the_shrunk_sample_mean(
    handles: tuple[float, ...], expected: float
) -> None:
    assert mean_handle_s(handles, WaitModel()) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("waits", "expected"),
    [
        ((), 900.0),  # the prior alone
        # 2 prior events over 1800 s, plus 2 who gave up and 1 served over 1200 s.
        (
            (
                WaitOutcome(300.0, gave_up=True),
                WaitOutcome(500.0, gave_up=True),
                WaitOutcome(400.0, gave_up=False),
            ),
            (1800.0 + 1200.0) / 4,
        ),
    ],
)
def test_patience_is_the_censored_exponential_fit(
    waits: tuple[WaitOutcome, ...], expected: float
) -> None:
    assert mean_patience_s(waits, WaitModel()) == pytest.approx(expected)
