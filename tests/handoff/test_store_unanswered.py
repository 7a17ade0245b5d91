"""The store's list of customer messages the bot could not answer (for `helpline kb gaps`)."""

from __future__ import annotations

import pytest

from handoff.model import Conversation, Message, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.handoff.conftest import START, FakeClock


async def exchange(
    store: SqlStore, conversation: Conversation, text: str, *reply_kinds: str
) -> Message:
    """A customer message and the bot's replies of the given meta kinds."""
    asked, _ = await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text=text)
    )
    for kind in reply_kinds:
        await store.append_message(
            conversation.id,
            NewMessage(sender=SenderKind.BOT, text="...", reply_to=asked.id, meta={"kind": kind}),
        )
    return asked


async def test_only_messages_that_got_a_fallback_or_a_handoff_are_listed(
    store: SqlStore, conversation: Conversation
) -> None:
    await exchange(store, conversation, "how do I reset my password", "answer")
    fell_back = await exchange(store, conversation, "can I order pizza", "fallback")
    await exchange(store, conversation, "which one?", "clarify")
    handed_off = await exchange(store, conversation, "still no pizza", "fallback", "handoff")
    await exchange(store, conversation, "hello?")

    found = await store.unanswered_messages()

    assert [m.id for m in found] == [fell_back.id, handed_off.id]


async def test_since_leaves_out_older_messages(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    await exchange(store, conversation, "old question", "fallback")
    since = clock.advance(3600)
    await exchange(store, conversation, "new question", "fallback")

    found = await store.unanswered_messages(since=since)

    assert [m.text for m in found] == ["new question"]


async def test_the_limit_keeps_the_most_recent_oldest_first(
    store: SqlStore, conversation: Conversation
) -> None:
    for n in range(4):
        await exchange(store, conversation, f"question {n}", "fallback")

    found = await store.unanswered_messages(limit=2)

    assert [m.text for m in found] == ["question 2", "question 3"]


async def test_a_naive_since_is_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="since"):
        await store.unanswered_messages(since=START.replace(tzinfo=None))
