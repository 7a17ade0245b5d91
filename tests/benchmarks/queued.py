"""What a load run left in the queue, read back from its database."""

from __future__ import annotations

from handoff.model import HandoffReason
from handoff.store.sql import SqlStore


async def queued_handoffs(database_url: str, text: str) -> list[tuple[HandoffReason, bool]]:
    """For each queued conversation: why it was handed off, and whether its customer wrote
    ``text`` (the benchmark's request for a person)."""
    store = await SqlStore.open(database_url, migrate=False)
    try:
        return [
            (
                entry.handoff.reason,
                text in {m.text for m in await store.customer_messages(entry.customer.id)},
            )
            for entry in await store.queue()
        ]
    finally:
        await store.close()
