"""The console's login budgets on a hand-moved clock: per pair, per address, per device."""

from __future__ import annotations

import pytest

from bot.channels.web.login_throttle import (
    DEVICE_MAX_AGE_S,
    LoginThrottle,
    TooManyAttempts,
)
from tests.bot.clocks import HandClock

WINDOW_S = 900.0


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
def calendar() -> HandClock:
    """Seconds since the epoch, which a device cookie's age is counted in."""
    return HandClock(1_800_000_000.0)


@pytest.fixture
def throttle(clock: HandClock, calendar: HandClock) -> LoginThrottle:
    return LoginThrottle(
        "test", max_failures=2, window_s=WINDOW_S, clock=clock, wall_clock=calendar
    )


def _tries(throttle: LoginThrottle, login: str, address: str, device: str | None = None) -> int:
    """How many attempts pass before the budget is used up (at most 20)."""
    for number in range(20):
        try:
            throttle.attempt(login, address, device_cookie=device)
        except TooManyAttempts:
            return number
    return 20


def test_the_budget_comes_back_once_the_window_has_passed(
    throttle: LoginThrottle, clock: HandClock
) -> None:
    used = _tries(throttle, "maria", "10.0.0.9")
    clock.now += WINDOW_S
    assert (used, _tries(throttle, "Maria ", "10.0.0.9")) == (2, 2)


def test_a_device_cookie_expires(throttle: LoginThrottle, calendar: HandClock) -> None:
    device = throttle.device_cookie("maria")
    for stranger in ("jonas", "guess", "other", "more"):
        _tries(throttle, stranger, "10.0.0.9")  # the address's budget is used up
    fresh = throttle.attempt("maria", "10.0.0.9", device_cookie=device).known_device
    calendar.now += DEVICE_MAX_AGE_S + 1
    assert (fresh, _tries(throttle, "maria", "10.0.0.9", device)) == (True, 0)


def test_a_success_takes_back_the_attempt_and_the_pairs_failures(
    throttle: LoginThrottle,
) -> None:
    throttle.attempt("maria", "10.0.0.9", device_cookie=None)
    throttle.succeeded(throttle.attempt("maria", "10.0.0.9", device_cookie=None))
    assert _tries(throttle, "maria", "10.0.0.9") == 2
