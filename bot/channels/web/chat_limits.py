"""What one web chat client may hold: single-use stream tickets and a few open streams.

A ticket opens one stream: it travels in a URL (``EventSource`` cannot send headers), so a
ticket copied from a log or a history must not open the transcript again. Streams are
counted per customer and per client address, so that one client cannot hold thousands of
them open.
"""

from __future__ import annotations

import secrets
import time
import weakref
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypeVar

import itsdangerous

T = TypeVar("T")
Clock = Callable[[], float]


class TicketRefused(Exception):
    """The ticket is forged, expired or used already."""


class TicketBook:
    """Issues signed tickets that name a customer and can be redeemed once.

    Args:
        secret_key: the service's signing key.
        max_age_s: how long a ticket stays redeemable.
        clock: seconds since the epoch (what the signature's time stamp counts in).
    """

    def __init__(self, secret_key: str, *, max_age_s: int, clock: Clock = time.time) -> None:
        self._signer = itsdangerous.URLSafeTimedSerializer(secret_key, salt="helpline.chat.events")
        self.max_age_s = max_age_s
        self._clock = clock
        # Redeemed tickets until they would have expired anyway: memory follows the
        # tickets of the last max_age_s seconds only.
        self._redeemed: dict[str, float] = {}

    def __len__(self) -> int:
        """How many redeemed tickets are remembered (those not yet expired)."""
        return len(self._redeemed)

    def issue(self, customer_id: int) -> str:
        """A new ticket for ``customer_id``."""
        return self._signer.dumps([customer_id, secrets.token_urlsafe(12)])

    def redeem(self, ticket: str) -> int:
        """The customer a ticket names; it cannot be redeemed again.

        Raises:
            TicketRefused: forged, expired, malformed or redeemed before.
        """
        try:
            customer_id, nonce = self._signer.loads(ticket, max_age=self.max_age_s)
        except (itsdangerous.BadData, ValueError, TypeError) as exc:
            raise TicketRefused from exc
        if not isinstance(customer_id, int) or not isinstance(nonce, str):
            raise TicketRefused
        now = self._clock()
        for old in [key for key, until in self._redeemed.items() if until <= now]:
            del self._redeemed[old]
        if nonce in self._redeemed:
            raise TicketRefused
        self._redeemed[nonce] = now + self.max_age_s
        return customer_id


@dataclass(frozen=True, slots=True)
class _Slot:
    customer_id: int
    address: str


class StreamSlots:
    """Counts open streams per customer and per client address.

    Args:
        per_customer: streams one customer may have open at once.
        per_address: streams one client address may have open at once.
    """

    def __init__(self, *, per_customer: int, per_address: int) -> None:
        self._per_customer = per_customer
        self._per_address = per_address
        self._open: Counter[tuple[str, int | str]] = Counter()

    def take(self, customer_id: int, address: str) -> _Slot | None:
        """A slot for a new stream, or None when the customer or the address has no room."""
        customer, client = ("customer", customer_id), ("address", address)
        if self._open[customer] >= self._per_customer or self._open[client] >= self._per_address:
            return None
        self._open[customer] += 1
        self._open[client] += 1
        return _Slot(customer_id, address)

    def held(self, slot: _Slot, events: AsyncIterator[T]) -> AsyncIterator[T]:
        """Pass ``events`` through, and give the slot back when the stream ends.

        Also when it never starts: a client that leaves before the first event leaves a
        generator that is never iterated, so its ``finally`` would never run.
        """
        released = False

        def release() -> None:
            nonlocal released
            if released:
                return
            released = True
            for key in (("customer", slot.customer_id), ("address", slot.address)):
                self._open[key] -= 1
                if self._open[key] <= 0:
                    del self._open[key]

        async def passing() -> AsyncIterator[T]:
            try:
                async for event in events:
                    yield event
            finally:
                release()

        generator = passing()
        weakref.finalize(generator, release)
        return generator
