"""The console's inbox on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

from handoff.model import Agent, Conversation, HandoffReason, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.handoff.conftest import FakeClock


async def _waiting(store: SqlStore, external_id: str, name: str, text: str) -> Conversation:
    customer = await store.upsert_customer(
        channel="web", external_id=external_id, display_name=name
    )
    conversation = await store.open_conversation(customer.id)
    await store.append_message(conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text=text))
    await store.request_handoff(conversation.id, reason=HandoffReason.CUSTOMER_ASKED)
    return conversation


async def test_the_inbox_lists_open_handoffs_with_the_last_customer_message(
    store: SqlStore,
) -> None:
    first = await _waiting(store, "a", "Ada", "My VPN drops every hour")
    second = await _waiting(store, "b", "Bo", "Printer on floor 3 is jammed")
    await store.claim(second.id, (await _agent(store)).id)
    entries = await store.inbox()
    assert [(e.conversation.id, e.customer.display_name) for e in entries] == [
        (first.id, "Ada"),
        (second.id, "Bo"),
    ]
    assert [(e.last_customer_text, e.last_customer_seq) for e in entries] == [
        ("My VPN drops every hour", 1),
        ("Printer on floor 3 is jammed", 1),
    ]


async def test_search_matches_names_and_customer_text_case_insensitively(store: SqlStore) -> None:
    await _waiting(store, "a", "Ada", "My VPN drops every hour")
    await _waiting(store, "b", "Bo", "Printer 100% jammed")
    found = {
        term: [e.customer.display_name for e in await store.inbox(search=term)]
        for term in ("vpn", "BO", "100%", "_", "nothing like it")
    }
    assert found == {
        "vpn": ["Ada"],
        "BO": ["Bo"],
        "100%": ["Bo"],
        "_": [],
        "nothing like it": [],
    }


async def test_earlier_conversations_of_a_customer_newest_first(
    store: SqlStore, clock: FakeClock
) -> None:
    first = await _waiting(store, "a", "Ada", "first time")
    await store.resolve(first.id, agent_id=None)
    clock.advance(60)
    second = await store.open_conversation(first.customer_id)
    listed = await store.customer_conversations(first.customer_id)
    assert [c.id for c in listed] == [second.id, first.id]


async def _agent(store: SqlStore) -> Agent:
    return await store.add_agent(login="maria", name="Maria", password_hash="x")
