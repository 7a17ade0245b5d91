"""After the load: what the customers were told, checked against the stored transcript."""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.engine import make_url

from benchmarks.load.harness import WebCustomer
from handoff.bearer import token_digest
from handoff.model import SenderKind
from handoff.store.sql import SqlStore

CHANNEL = "web"


async def transcript_problems(
    database_url: str, customers: Sequence[WebCustomer], *, acked_only: bool = False
) -> list[str]:
    """Every way the database disagrees with what the service acknowledged.

    For each customer: every acknowledged message is stored exactly once (by its external id
    ``web:<customer>:<client id>``); no customer message is stored that the customer never
    sent; each stored customer message has bot replies, and they are exactly the replies the
    acknowledgement listed (one turn, never answered twice).

    Args:
        database_url: the service's database.
        customers: the customers and what they sent.
        acked_only: also accept stored messages that were sent but never acknowledged (a
            load run that stops without re-sending); they must still be stored at most once.

    Returns:
        One line per problem; empty when the transcript is right.
    """
    problems: list[str] = []
    store = await SqlStore.open(database_url, migrate=False)
    try:
        for number, customer in enumerate(customers):
            # The store keeps a digest of the token, never the token itself.
            key = token_digest(customer.token)
            stored = await store.find_customer(channel=CHANNEL, external_id=key)
            if stored is None:
                problems.append(f"customer {number}: not stored")
                continue
            messages = await store.customer_messages(stored.id)
            inbound = [m for m in messages if m.sender is SenderKind.CUSTOMER]
            prefix = f"web:{stored.id}:"
            counts = Counter(m.external_id for m in inbound)
            replies: dict[int, list[int]] = {}
            for m in messages:
                if m.sender is SenderKind.BOT and m.reply_to is not None:
                    replies.setdefault(m.reply_to, []).append(m.id)
            by_external = {m.external_id: m for m in inbound}
            sent_ids = {prefix + s.client_id for s in customer.sent}
            for external_id, count in counts.items():
                if count != 1:
                    problems.append(f"customer {number}: {external_id} stored {count} times")
                if external_id not in sent_ids:
                    problems.append(f"customer {number}: {external_id} was never sent")
            for sent in customer.sent:
                message = by_external.get(prefix + sent.client_id)
                if message is None:
                    if sent.acked or not acked_only:
                        problems.append(f"customer {number}: {sent.client_id} lost")
                    continue
                got = replies.get(message.id, [])
                if not got:
                    problems.append(f"customer {number}: {sent.client_id} has no bot reply")
                elif sent.acked and tuple(got) != sent.reply_ids:
                    problems.append(
                        f"customer {number}: {sent.client_id} replies {got}, "
                        f"acknowledged {list(sent.reply_ids)}"
                    )
    finally:
        await store.close()
    return problems


def sqlite_integrity(database_url: str) -> str:
    """``PRAGMA integrity_check`` of a SQLite database ("ok" when it is sound)."""
    path = make_url(database_url).database
    if not path:
        raise ValueError(f"not a SQLite file: {database_url}")
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    return "\n".join(str(row[0]) for row in rows)
