"""One change feed per process: live views sleep until something they show was stored.

Keys are a customer's id (their transcript changed: a customer stream, or the console page
of their conversation, re-reads it), :data:`DESK` (the queue, an owner or a state changed:
the consoles' lists re-read) and :func:`typing_key` (the customer is typing).

Within one process the runtime publishes what it stores. Across processes the database
tells every process (PostgreSQL ``LISTEN``/``NOTIFY``, see ``handoff.store.changes``) and
:func:`key_from_database` turns its words into keys. A stream therefore re-reads only when
woken, never on a timer; when the database connection that listens was lost, the feed wakes
every waiter once (:meth:`ChangeFeed.wake_all`), since changes may have been missed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Hashable, Mapping

DESK = "desk"
#: How a change notification from the database names a customer's transcript.
CUSTOMER_PREFIX = "customer:"


def typing_key(customer_id: int) -> tuple[str, int]:
    """The key that wakes the agent's view when the customer types."""
    return ("typing", customer_id)


def key_from_database(word: str) -> Hashable | None:
    """The feed key of a change notification sent by the database (None if unknown)."""
    if word == DESK:
        return DESK
    number = word.removeprefix(CUSTOMER_PREFIX)
    if number != word and number.isascii() and number.isdigit():
        return int(number)
    return None


#: Keys a feed keeps counts for before it forgets those nobody waits on (about 100 bytes
#: each).
MAX_COUNTED_KEYS = 10_000


class ChangeFeed:
    """Wakes the waiters of a key when something under that key changed.

    A reader takes ``version(key)`` before it reads the database and passes it to
    ``wait``; a change published in between then returns at once instead of being missed.
    """

    def __init__(self, *, max_keys: int = MAX_COUNTED_KEYS) -> None:
        self._waiters: dict[Hashable, set[asyncio.Event]] = {}
        self._versions: dict[Hashable, int] = {}
        # Added to every key's version: one wake_all moves all versions at once.
        self._epoch = 0
        self._max_keys = max_keys

    @property
    def counted(self) -> int:
        """How many keys have a count of their own (for tests and metrics)."""
        return len(self._versions)

    @property
    def waiting(self) -> int:
        """How many keys someone is waiting on (for tests and metrics)."""
        return len(self._waiters)

    def version(self, key: Hashable) -> int:
        """How many times ``key`` has been published so far."""
        return self._versions.get(key, 0) + self._epoch

    def publish(self, *keys: Hashable) -> None:
        """Wake everyone waiting on any of ``keys``."""
        for key in keys:
            self._versions[key] = self._versions.get(key, 0) + 1
            for event in self._waiters.pop(key, ()):
                event.set()
        if len(self._versions) > self._max_keys:
            self._forget_idle()

    def _forget_idle(self) -> None:
        # Every customer ever published would otherwise keep a count for good. Versions
        # still only grow: the epoch jumps past every count, so a forgotten key's next
        # version differs from any version a reader saw before (readers at worst read once
        # more than needed).
        self._epoch += max(self._versions.values()) + 1
        self._versions = {key: n for key, n in self._versions.items() if key in self._waiters}

    def wake_all(self) -> None:
        """Wake every waiter on every key (changes may have gone unseen)."""
        self._epoch += 1
        waiters, self._waiters = self._waiters, {}
        for events in waiters.values():
            for event in events:
                event.set()

    async def wait(
        self, key: Hashable, max_wait: float | None = None, *, seen: int | None = None
    ) -> bool:
        """Wait until ``key`` is published or ``max_wait`` seconds pass; True if published.

        Args:
            key: what to wait for.
            max_wait: seconds to wait at most; None waits until published.
            seen: the ``version(key)`` the caller last saw; if it moved on, return at once.
        """
        return await self.wait_any({key: seen}, max_wait)

    async def wait_any(
        self, seen: Mapping[Hashable, int | None], max_wait: float | None = None
    ) -> bool:
        """Wait until any of the keys is published (or ``max_wait`` passes); True if one was.

        Args:
            seen: each key with the ``version`` the caller last saw (None: not read yet).
            max_wait: seconds to wait at most; None waits until published.
        """
        if any(last is not None and self.version(key) != last for key, last in seen.items()):
            return True
        event = asyncio.Event()
        for key in seen:
            self._waiters.setdefault(key, set()).add(event)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max_wait):
                    await event.wait()
            return event.is_set()
        finally:
            for key in seen:
                waiters = self._waiters.get(key)
                if waiters is not None:
                    waiters.discard(event)
                    if not waiters:
                        del self._waiters[key]
