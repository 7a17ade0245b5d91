"""Agents' internal notes in the store: in the transcript, never in the customer's view."""

from __future__ import annotations

from handoff.model import Conversation, SenderKind
from handoff.store.sql import SqlStore


async def test_a_note_is_in_the_transcript_marked_internal(
    store: SqlStore, conversation: Conversation
) -> None:
    maria = await store.add_agent(login="maria", name="Maria", password_hash="x")
    await store.add_note(conversation.id, maria.id, "Called them; printer is fine")
    (note,) = await store.transcript(conversation.id)
    assert (note.sender, note.agent_name, note.meta) == (
        SenderKind.AGENT,
        "Maria",
        {"internal": True},
    )


async def test_the_customers_messages_leave_the_note_out(
    store: SqlStore, conversation: Conversation
) -> None:
    maria = await store.add_agent(login="maria", name="Maria", password_hash="x")
    await store.add_note(conversation.id, maria.id, "Called them; printer is fine")
    assert await store.customer_messages(conversation.customer_id) == []
