"""Telegram's flood limits, on a fake clock: overall, per chat and per group."""

from __future__ import annotations

from bot.channels.telegram.limits import RateLimiter


class Clock:
    """Monotonic seconds that move only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def _send_times(limiter: RateLimiter, clock: Clock, chats: list[int]) -> list[float]:
    times = []
    for chat in chats:
        await limiter.wait(chat)
        times.append(round(clock.now - 100.0, 3))
    return times


async def test_one_chat_gets_one_message_a_second() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert await _send_times(limiter, clock, [7, 7, 7]) == [0.0, 1.0, 2.0]


async def test_different_chats_share_thirty_a_second() -> None:
    clock = Clock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    times = await _send_times(limiter, clock, list(range(1, 61)))
    assert (times[29] < 1.0, times[59] >= 1.9) == (True, True)


async def test_a_group_gets_twenty_a_minute() -> None:
    clock = Clock()
    limiter = RateLimiter(chat_interval_s=0.0, clock=clock, sleep=clock.sleep)
    times = await _send_times(limiter, clock, [-100] * 21)
    assert (times[19] < 1.0, times[20]) == (True, 60.0)
