"""One read of the desk per change, shared by every open console stream of a process."""

from __future__ import annotations

import asyncio
import sqlite3

from sqlalchemy import make_url

from bot.channels.web.console.live import SharedDesk
from bot.runtime.feed import DESK, ChangeFeed
from bot.settings.model import Settings
from handoff.errors import StoreUnavailable
from handoff.model import HandoffReason, NewMessage, SenderKind
from handoff.store.sql import SqlStore


async def _hand_off(store: SqlStore, who: str) -> None:
    customer = await store.upsert_customer(channel="web", external_id=who, language="en")
    conversation = await store.open_conversation(customer.id)
    await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text=f"{who} needs help")
    )
    await store.request_handoff(conversation.id, reason=HandoffReason.CUSTOMER_ASKED)


async def test_streams_woken_by_one_change_share_one_read(
    store: SqlStore, feed: ChangeFeed
) -> None:
    desk = SharedDesk(store, feed)
    await _hand_off(store, "w1")
    feed.publish(DESK)
    reads = await asyncio.gather(*(desk.read() for _ in range(50)))
    first = reads[0][0]
    assert [entry.customer.external_id for entry in first] == ["w1"]
    assert all(entries is first for entries, _agents in reads)


async def test_a_change_is_read_anew(store: SqlStore, feed: ChangeFeed) -> None:
    desk = SharedDesk(store, feed)
    await _hand_off(store, "w1")
    before, _ = await desk.read()
    await _hand_off(store, "w2")
    assert (await desk.read())[0] is before  # nothing published: nothing read
    feed.publish(DESK)
    after, _ = await desk.read()
    assert [entry.customer.external_id for entry in after] == ["w1", "w2"]


async def test_a_failed_read_is_not_kept(
    store: SqlStore, feed: ChangeFeed, settings: Settings
) -> None:
    desk = SharedDesk(store, feed)
    await _hand_off(store, "w1")
    path = make_url(settings.database_url).database
    assert path is not None
    with sqlite3.connect(path) as database:  # the rows the inbox reads are gone for now
        database.execute("ALTER TABLE handoff RENAME TO handoff_away")
    failures = await asyncio.gather(desk.read(), desk.read(), return_exceptions=True)
    assert all(isinstance(failure, StoreUnavailable) for failure in failures)
    with sqlite3.connect(path) as database:
        database.execute("ALTER TABLE handoff_away RENAME TO handoff")
    entries, _ = await desk.read()  # read again, not the failure kept
    assert [entry.customer.external_id for entry in entries] == ["w1"]
