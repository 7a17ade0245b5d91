"""Telegram's outbound flood limits, kept before each request rather than learnt from 429s.

Telegram asks bots to stay under about 30 messages a second overall, one a second per chat
and 20 a minute per group. Each send reserves the earliest moment that keeps all three, then
sleeps until it; the reservation itself never awaits, so concurrent senders on one event
loop cannot both take the same slot. A ``RetryAfter`` that slips through anyway is handled
by the delivery, which waits as told.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

GROUP_WINDOW_S = 60.0
_PRUNE_AT = 10_000  # chats remembered before stale entries are dropped


class RateLimiter:
    """Spaces out sends: overall, per chat and per group.

    Args:
        overall_per_s: messages a second across all chats.
        chat_interval_s: seconds between two messages to one chat.
        group_per_min: messages a minute to one group (negative chat ids).
        clock: monotonic seconds; tests pass a fake.
        sleep: waits that many seconds; tests pass one that advances the fake clock.
    """

    def __init__(
        self,
        *,
        overall_per_s: float = 30.0,
        chat_interval_s: float = 1.0,
        group_per_min: int = 20,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._overall_interval = 1.0 / overall_per_s
        self._chat_interval = chat_interval_s
        self._group_per_min = group_per_min
        self._clock = clock
        self._sleep = sleep
        self._next_overall = 0.0
        self._next_chat: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}

    def reserve(self, chat_id: int) -> float:
        """Take the next free slot for ``chat_id``; return how long to wait for it."""
        now = self._clock()
        at = max(now, self._next_overall, self._next_chat.get(chat_id, 0.0))
        sends = self._group_sends.setdefault(chat_id, deque()) if chat_id < 0 else None
        if sends is not None:
            while sends and sends[0] <= at - GROUP_WINDOW_S:
                sends.popleft()
            if len(sends) >= self._group_per_min:
                at = max(at, sends[-self._group_per_min] + GROUP_WINDOW_S)
            sends.append(at)
        self._next_overall = at + self._overall_interval
        self._next_chat[chat_id] = at + self._chat_interval
        if len(self._next_chat) > _PRUNE_AT:
            self._next_chat = {c: t for c, t in self._next_chat.items() if t > now}
        return at - now

    async def wait(self, chat_id: int) -> None:
        """Wait until a message to ``chat_id`` keeps every limit."""
        delay = self.reserve(chat_id)
        if delay > 0:
            await self._sleep(delay)
