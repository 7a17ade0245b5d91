"""In-process rate limits: a sliding window of recent events per key.

Used for the per-conversation flood limits of the web chat and of Telegram, and the login
throttle of the console. The counts live in this process's memory: with several web
workers each worker counts on its own, so the effective limit is that many times higher
(still a brake on a script hammering one conversation or one login).

Memory follows the keys active within one window: a key is forgotten once its events have
aged out, whether or not it is ever seen again.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable

Clock = Callable[[], float]


class SlidingWindow:
    """Counts events per key over the last ``window_s`` seconds.

    Args:
        limit: how many events per key the window holds before :meth:`full` says so.
        window_s: the length of the window in seconds.
        clock: a monotonic clock in seconds (injected so tests need not sleep).
    """

    def __init__(self, *, limit: int, window_s: float, clock: Clock = time.monotonic) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a sliding window needs limit >= 1 and window_s > 0")
        self._limit = limit
        self._window = window_s
        self._clock = clock
        self._events: dict[Hashable, deque[float]] = {}
        self._next_sweep = clock() + window_s

    def __len__(self) -> int:
        """How many keys the window holds events for."""
        return len(self._events)

    def _sweep(self) -> None:
        # Once per window, drop every key whose newest event has aged out: keys that are
        # never seen again (a customer who left, a login tried once) must not pile up.
        now = self._clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self._window
        cutoff = now - self._window
        for key in [key for key, events in self._events.items() if events[-1] <= cutoff]:
            del self._events[key]

    def _recent(self, key: Hashable) -> deque[float]:
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= now - self._window:
            events.popleft()
        if not events:
            # Forget idle keys, so memory follows the active keys, not every key ever seen.
            del self._events[key]
        return events

    def full(self, key: Hashable) -> bool:
        """Whether ``key`` already has ``limit`` events in the window."""
        return len(self._recent(key)) >= self._limit

    def add(self, key: Hashable) -> None:
        """Record one event of ``key`` now."""
        self._sweep()
        self._recent(key)
        self._events.setdefault(key, deque()).append(self._clock())

    def hit(self, key: Hashable) -> bool:
        """Record an event unless the window is full; True if it was recorded (allowed)."""
        if self.full(key):
            return False
        self.add(key)
        return True

    def undo(self, key: Hashable) -> None:
        """Take back the newest event of ``key`` (an attempt recorded up front that succeeded)."""
        events = self._events.get(key)
        if events:
            events.pop()
            if not events:
                del self._events[key]

    def clear(self, key: Hashable) -> None:
        """Forget every event of ``key`` (e.g. after a successful login)."""
        self._events.pop(key, None)

    def retry_after(self, key: Hashable) -> int:
        """Whole seconds until ``key`` has room for one more event (0 if it has now)."""
        events = self._recent(key)
        if len(events) < self._limit:
            return 0
        # The window has room again once enough of the oldest events have aged out.
        oldest_to_expire = events[len(events) - self._limit]
        return max(1, math.ceil(oldest_to_expire + self._window - self._clock()))
