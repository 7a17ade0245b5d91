"""In-process change notifications, so live views wake up as soon as something is stored.

Live views also re-read the database on a short timeout, so several processes sharing one
database stay correct without this; the feed only makes one process fast.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable

DESK = "desk"


class ChangeFeed:
    """Wakes the waiters of a key when something under that key changed.

    A reader takes ``version(key)`` before it reads the database and passes it to
    ``wait``; a change published in between then returns at once instead of being missed.
    """

    def __init__(self) -> None:
        self._events: dict[Hashable, asyncio.Event] = {}
        self._versions: dict[Hashable, int] = {}

    def version(self, key: Hashable) -> int:
        """How many times ``key`` has been published so far."""
        return self._versions.get(key, 0)

    def publish(self, *keys: Hashable) -> None:
        """Wake everyone waiting on any of ``keys``."""
        for key in keys:
            self._versions[key] = self._versions.get(key, 0) + 1
            event = self._events.pop(key, None)
            if event is not None:
                event.set()

    async def wait(self, key: Hashable, max_wait: float, *, seen: int | None = None) -> bool:
        """Wait until ``key`` is published or ``max_wait`` seconds pass; True if published.

        Args:
            key: what to wait for.
            max_wait: seconds to wait at most.
            seen: the ``version(key)`` the caller last saw; if it moved on, return at once.
        """
        if seen is not None and self.version(key) != seen:
            return True
        event = self._events.setdefault(key, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), max_wait)
            return True
        return False
