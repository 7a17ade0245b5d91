"""The desks the wait benchmark simulates: stationary queues and a working day.

Times are seconds; a day starts at midnight. Every agent takes one conversation at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUR = 3600.0
MINUTE = 60.0
DAY = 24 * HOUR

#: Mean handle time (claim to resolve), its coefficient of variation, mean patience and
#: mean pickup time (a free agent claiming the next customer) in every scenario.
HANDLE_MEAN_S = 6 * MINUTE
HANDLE_CV = 1.0
PATIENCE_MEAN_S = 10 * MINUTE
PICKUP_MEAN_S = 30.0

LOADS = (0.9, 1.0, 1.1, 1.2)
STATIONARY_AGENTS = (3, 10)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One simulated desk.

    Attributes:
        name: Row label in the report.
        arrivals: Piecewise-constant arrival rate as (start second, customers per second),
            repeated every ``period_s``.
        duty: Per agent, the (start, end) seconds they are on duty (taking customers),
            repeated every ``period_s``.
        period_s: Length of the repeating pattern.
        horizon_s: Simulated time.
        warmup_s: Customers arriving before this are not scored.
        stationary: Whether the bias target applies.
    """

    name: str
    arrivals: tuple[tuple[float, float], ...]
    duty: tuple[tuple[tuple[float, float], ...], ...]
    period_s: float
    horizon_s: float
    warmup_s: float
    stationary: bool


def stationary(agents: int, load: float, *, hours: float) -> Scenario:
    """``agents`` on duty around the clock at ``load``.

    The load counts a slot as occupied from pickup to resolve: arrival rate times
    (pickup + handle) divided by the number of agents.
    """
    rate = load * agents / (PICKUP_MEAN_S + HANDLE_MEAN_S)
    return Scenario(
        name=f"c={agents} load {load:.1f}",
        arrivals=((0.0, rate),),
        # Agents stay until the last customers are served; arrivals stop at the horizon.
        duty=tuple(((0.0, (hours + 4) * HOUR),) for _ in range(agents)),
        period_s=hours * HOUR,
        horizon_s=hours * HOUR,
        warmup_s=2 * HOUR,
        stationary=True,
    )


def _h(hh: int, mm: int = 0) -> float:
    return hh * HOUR + mm * MINUTE


# Customers per hour through the day; the desk opens at 08:00 but chats start earlier.
_DAY_ARRIVALS = (
    (_h(0), 0.0),
    (_h(7, 50), 10.0),
    (_h(8), 40.0),
    (_h(9), 70.0),
    (_h(11), 50.0),
    (_h(13), 65.0),
    (_h(15), 40.0),
    (_h(16), 0.0),
)


def _shift(
    start: float, end: float, *pauses: tuple[float, float]
) -> tuple[tuple[float, float], ...]:
    """On-duty intervals of a shift with (start, minutes) pauses taken out."""
    intervals = []
    at = start
    for pause_start, minutes in sorted(pauses):
        intervals.append((at, pause_start))
        at = pause_start + minutes * MINUTE
    intervals.append((at, end))
    return tuple(intervals)


# Four early and four late shifts, each with a 15-minute break and a 30-minute lunch.
_DAY_DUTY = (
    _shift(_h(8), _h(16), (_h(10), 15), (_h(11, 30), 30)),
    _shift(_h(8), _h(16), (_h(10, 15), 15), (_h(12), 30)),
    _shift(_h(8), _h(16), (_h(10, 30), 15), (_h(12, 30), 30)),
    _shift(_h(8), _h(16), (_h(10, 45), 15), (_h(13), 30)),
    _shift(_h(9), _h(17), (_h(11, 45), 30), (_h(14, 30), 15)),
    _shift(_h(9), _h(17), (_h(12, 15), 30), (_h(14, 45), 15)),
    _shift(_h(9), _h(17), (_h(12, 45), 30), (_h(15), 15)),
    _shift(_h(9), _h(17), (_h(13, 15), 30), (_h(15, 15), 15)),
)


def working_day(*, days: int) -> Scenario:
    """Eight agents in two shifts with breaks and lunches; arrivals peak mid-morning."""
    return Scenario(
        name="working day",
        arrivals=tuple((start, per_hour / HOUR) for start, per_hour in _DAY_ARRIVALS),
        duty=_DAY_DUTY,
        period_s=DAY,
        horizon_s=days * DAY,
        warmup_s=0.0,
        stationary=False,
    )


def all_scenarios(*, hours: float, days: int) -> tuple[Scenario, ...]:
    """Every stationary scenario for ``hours`` each, then the working day for ``days``."""
    return (
        *(stationary(c, load, hours=hours) for c in STATIONARY_AGENTS for load in LOADS),
        working_day(days=days),
    )
