"""What the channels ask of the store: edits, reachability, chat moves, staff topics."""

from __future__ import annotations

from handoff.model import CHANNEL_REF, Conversation, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.handoff.conftest import FakeClock


async def test_a_message_is_found_by_its_channel_reference(
    store: SqlStore, conversation: Conversation
) -> None:
    await store.append_message(
        conversation.id, NewMessage(SenderKind.CUSTOMER, "first", meta={CHANNEL_REF: "1001:5"})
    )
    stored, _ = await store.append_message(
        conversation.id, NewMessage(SenderKind.CUSTOMER, "second", meta={CHANNEL_REF: "1001:6"})
    )
    found = await store.find_message_by_ref(conversation.customer_id, "1001:6")
    assert found is not None
    assert found.id == stored.id


async def test_an_edit_keeps_the_original_text(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    stored, _ = await store.append_message(conversation.id, NewMessage(SenderKind.CUSTOMER, "teh"))
    clock.advance(30)
    await store.record_edit(stored.id, "the")
    (after,) = await store.transcript(conversation.id)
    assert (after.text, after.edited_text, after.edited_at) == ("teh", "the", clock())


async def test_unreachable_is_flagged_and_cleared(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    await store.set_unreachable(conversation.customer_id, True)
    flagged = (await store.get_customer(conversation.customer_id)).unreachable_at
    await store.set_unreachable(conversation.customer_id, False)
    cleared = (await store.get_customer(conversation.customer_id)).unreachable_at
    assert (flagged, cleared) == (clock(), None)


async def test_a_moved_customer_is_found_by_the_new_id(
    store: SqlStore, conversation: Conversation
) -> None:
    await store.move_customer(conversation.customer_id, "-100777")
    moved = await store.find_customer(channel="telegram", external_id="-100777")
    assert moved is not None
    assert moved.id == conversation.customer_id


async def test_a_topic_leads_back_to_its_conversation(
    store: SqlStore, conversation: Conversation
) -> None:
    await store.set_telegram_topic(conversation.id, 42)
    assert (
        await store.telegram_topic(conversation.id),
        await store.conversation_for_topic(42),
    ) == (42, conversation.id)


async def test_an_agent_is_found_by_telegram_user(store: SqlStore, agent_ids: list[int]) -> None:
    await store.set_agent_telegram_user(agent_ids[1], 5550001)
    agent = await store.agent_for_telegram_user(5550001)
    assert agent is not None
    assert agent.id == agent_ids[1]
