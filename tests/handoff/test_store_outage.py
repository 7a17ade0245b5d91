"""A database really cut off (tests/outage.py): the store says StoreUnavailable, nothing else.

StoreUnavailable is not a HandoffError, so no caller's ``except HandoffError`` reads an
outage as a refusal; once the database is back, the store works again on the same
connections' pool, with everything it held.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from handoff.errors import HandoffError, StoreUnavailable
from handoff.model import HandoffReason, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from handoff.timers import TimerKind
from tests.conftest import postgres_url
from tests.outage import Outage, postgres_outage

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_outage_is_no_refusal() -> None:
    assert not issubclass(StoreUnavailable, HandoffError)


@pytest.fixture
async def store(outage: Outage) -> AsyncIterator[SqlStore]:
    opened = await SqlStore.open(outage.url, migrate=True)
    yield opened
    await opened.close()


def _says(text: str) -> NewMessage:
    return NewMessage(sender=SenderKind.CUSTOMER, text=text)


# One call of each kind: ORM read and write, Core unit read and write, a timer claim.
CALLS: dict[str, Callable[[SqlStore], Awaitable[object]]] = {
    "orm read": lambda s: s.recent_conversations(limit=1),
    "orm write": lambda s: s.audit(actor="cli", action="test", target="outage"),
    "core read": lambda s: s.list_agents(),
    "core write": lambda s: s.receive_message(
        channel="web", sender_id="x", message=_says("still there?")
    ),
    "timer claim": lambda s: s.claim_due_timer(NOW),
}


@pytest.mark.parametrize("call", CALLS)
async def test_each_kind_of_call_says_the_store_is_unavailable(
    store: SqlStore, outage: Outage, call: str
) -> None:
    received = await store.receive_message(channel="web", sender_id="x", message=_says("hi"))
    outage.cut()
    try:
        with pytest.raises(StoreUnavailable):
            await CALLS[call](store)
    finally:
        outage.restore()
    await CALLS[call](store)
    assert (await store.transcript(received.conversation.id))[0].text == "hi"


async def test_after_an_outage_that_every_kind_of_call_met_every_call_works(
    store: SqlStore, outage: Outage
) -> None:
    # Pooled connections failed in several ways (some inside a transaction, some at its
    # start); none may stay broken once the database is back.
    received = await store.receive_message(channel="web", sender_id="x", message=_says("hi"))
    customer_id = received.conversation.customer_id
    calls = [
        lambda s: s.get_customer(customer_id),
        lambda s: s.customer_messages(customer_id),
        lambda s: s.upsert_customer(channel="web", external_id="y", display_name="Y"),
        *CALLS.values(),
    ]
    outage.cut()
    try:
        for call in calls:
            with pytest.raises(StoreUnavailable):
                await call(store)
    finally:
        outage.restore()
    for call in calls + calls:
        await call(store)
    assert (await store.transcript(received.conversation.id))[0].text == "hi"


@pytest.mark.postgres
async def test_the_timer_lead_says_the_store_is_unavailable(postgres_admin: str) -> None:
    # On PostgreSQL only: on SQLite the one process always leads, without asking.
    with postgres_outage(postgres_admin, postgres_url()) as outage:
        store = await SqlStore.open(outage.url, migrate=True)
        try:
            outage.cut()
            with pytest.raises(StoreUnavailable):
                async with store.timer_lead():
                    pass
            outage.restore()
            async with store.timer_lead() as leading:
                assert leading
        finally:
            await store.close()


async def test_a_state_change_during_an_outage_changes_nothing(
    store: SqlStore, outage: Outage
) -> None:
    received = await store.receive_message(channel="web", sender_id="x", message=_says("help"))
    conversation = received.conversation
    outage.cut()
    try:
        with pytest.raises(StoreUnavailable):
            await store.request_handoff(conversation.id, reason=HandoffReason.CUSTOMER_ASKED)
    finally:
        outage.restore()
    assert await store.get_conversation(conversation.id) == conversation
    assert await store.current_handoff(conversation.id) is None


async def test_a_claimed_timer_given_back_fires_again(store: SqlStore) -> None:
    await store.schedule_timer(TimerKind.NOTICE_START, "1", NOW)
    claimed = await store.claim_due_timer(NOW)
    assert claimed is not None
    assert await store.unclaim_timer(claimed)
    again = await store.claim_due_timer(NOW + timedelta(seconds=5))
    assert again is not None
    assert (again.id, again.due_at) == (claimed.id, NOW)


async def test_a_timer_armed_again_is_not_given_back(store: SqlStore) -> None:
    await store.schedule_timer(TimerKind.INACTIVITY, "sweep", NOW)
    claimed = await store.claim_due_timer(NOW)
    assert claimed is not None
    later = NOW + timedelta(minutes=1)
    await store.schedule_timer(TimerKind.INACTIVITY, "sweep", later)  # the sweep re-arms
    assert not await store.unclaim_timer(claimed)
    assert [t.due_at for t in await store.pending_timers()] == [later]
