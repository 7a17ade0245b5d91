"""The sliding window behind the flood limits and the console's login throttle."""

from __future__ import annotations

import pytest

from bot.channels.throttle import SlidingWindow
from tests.bot.clocks import HandClock


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def window(clock: HandClock) -> SlidingWindow:
    return SlidingWindow(limit=3, window_s=10, clock=clock)


def test_hits_up_to_the_limit_are_allowed(window: SlidingWindow) -> None:
    assert [window.hit("a") for _ in range(4)] == [True, True, True, False]


def test_keys_are_counted_apart(window: SlidingWindow) -> None:
    for _ in range(3):
        window.hit("a")
    assert window.hit("b") is True


def test_room_returns_when_the_oldest_event_ages_out(
    window: SlidingWindow, clock: HandClock
) -> None:
    window.hit("a")
    clock.now += 4
    window.hit("a")
    window.hit("a")
    clock.now += 6
    assert window.hit("a") is True


@pytest.mark.parametrize(("elapsed", "expected"), [(0, 10), (3.5, 7), (9.2, 1)])
def test_retry_after_counts_down_to_the_oldest_events_expiry(
    window: SlidingWindow, clock: HandClock, elapsed: float, expected: int
) -> None:
    for _ in range(3):
        window.hit("a")
    clock.now += elapsed
    assert window.retry_after("a") == expected


def test_retry_after_is_zero_with_room(window: SlidingWindow) -> None:
    window.hit("a")
    assert window.retry_after("a") == 0


def test_clear_forgets_a_key(window: SlidingWindow) -> None:
    for _ in range(3):
        window.add("a")
    window.clear("a")
    assert window.full("a") is False


def test_a_window_needs_a_positive_limit() -> None:
    with pytest.raises(ValueError, match="limit"):
        SlidingWindow(limit=0, window_s=10)


def test_keys_never_seen_again_are_forgotten_after_a_window(
    window: SlidingWindow, clock: HandClock
) -> None:
    # A script that makes a fresh key per request must not grow the state for good.
    for number in range(1000):
        window.hit(f"customer-{number}")
    clock.now += 10
    window.hit("one more")
    assert len(window) == 1


def test_undo_takes_back_the_newest_event(window: SlidingWindow) -> None:
    for _ in range(3):
        window.hit("a")
    window.undo("a")
    assert (window.hit("a"), window.hit("a")) == (True, False)
