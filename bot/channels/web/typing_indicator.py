"""Who is typing to which customer right now: the agent side of the chat's typing indicator.

The console pings while an agent types a reply; the customer's event stream reads the
registry and tells the page. A ping counts for a few seconds, so an agent who stops typing
(or closes the tab) stops showing without any "stopped typing" message. The registry lives
in this process's memory: with several web workers the customer sees the indicator only
when their stream is served by the agent's worker, which is all a typing hint is worth.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: How long one ping from the console keeps "… is typing" on the customer's page.
TYPING_TTL_S = 5.0


class TypingRegistry:
    """The agent currently typing to each customer, until their last ping expires.

    Args:
        ttl_s: how long a ping counts.
        clock: a monotonic clock in seconds (injected so tests need not sleep).
    """

    def __init__(
        self, *, ttl_s: float = TYPING_TTL_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_s
        self._clock = clock
        self._typing: dict[int, tuple[str, float]] = {}

    def ping(self, customer_id: int, agent_name: str) -> None:
        """Record that ``agent_name`` is typing to the customer now."""
        self._typing[customer_id] = (agent_name, self._clock() + self._ttl)

    def stop(self, customer_id: int) -> None:
        """Forget any typing to the customer (the agent sent the reply)."""
        self._typing.pop(customer_id, None)

    def remaining(self, customer_id: int) -> float | None:
        """Seconds until the typing to the customer stops showing (None: nobody types)."""
        entry = self._typing.get(customer_id)
        if entry is None:
            return None
        return max(0.0, entry[1] - self._clock())

    def who(self, customer_id: int) -> str | None:
        """The name of the agent typing to the customer, or None."""
        entry = self._typing.get(customer_id)
        if entry is None:
            return None
        name, until = entry
        if self._clock() >= until:
            del self._typing[customer_id]
            return None
        return name
