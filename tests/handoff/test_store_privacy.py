"""Exporting and erasing a customer, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from uuid import UUID

import pytest
from sqlalchemy import select, text

from handoff.attachments import NewAttachment
from handoff.errors import NotFound
from handoff.model import Customer, HandoffReason, NewMessage, SenderKind
from handoff.passwords import hash_password
from handoff.privacy import JSON_FORMAT, to_json
from handoff.store.sql import SqlStore
from handoff.store.tables import Base
from handoff.timers import TimerKind
from tests.handoff.conftest import START

PNG = b"\x89PNG\r\n\x1a\n"
#: Written by the customer under test only; no row may hold it after the erasure.
MARKER = "zq-marker-8831"


@dataclass(frozen=True)
class Story:
    """A customer who wrote, was handed off, was answered by an agent and rated."""

    customer: Customer
    conversation_id: UUID


async def tell_story(store: SqlStore, external_id: str, marker: str) -> Story:
    customer = await store.upsert_customer(
        channel="telegram", external_id=external_id, display_name=f"Alice {marker}"
    )
    conversation = await store.open_conversation(customer.id)
    question, _ = await store.append_message(
        conversation.id,
        NewMessage(
            sender=SenderKind.CUSTOMER,
            text=f"my badge {marker} is broken",
            external_id=f"tg:{external_id}:1",
            meta={"payload": f"/say {marker}", "channel_ref": f"{marker}-ref"},
        ),
    )
    await store.record_edit(question.id, f"my badge {marker} is really broken")
    photo = await store.add_attachment(
        customer.id, NewAttachment.check(PNG + marker.encode(), f"badge-{marker}.png")
    )
    await store.link_attachments(question.id, customer.id, [photo.id])
    agent = await store.add_agent(
        login=f"maria-{external_id}", name="Maria", password_hash=hash_password("pw")
    )
    await store.request_handoff(
        conversation.id,
        reason=HandoffReason.FRUSTRATION,
        team="it-support",
        summary=f"my badge {marker} is broken",
        detail=marker,
    )
    await store.claim(conversation.id, agent.id)
    await store.append_message(
        conversation.id,
        NewMessage(sender=SenderKind.AGENT, text=f"I reset badge {marker}", agent_id=agent.id),
    )
    await store.record_feedback(conversation.id, agent_id=agent.id, rating=5)
    await store.set_telegram_topic(conversation.id, 77)
    await store.schedule_timer(TimerKind.WAIT_UPDATE, str(conversation.id), START)
    return Story(customer, conversation.id)


async def rows_holding(store: SqlStore, needle: str) -> list[str]:
    """Every table row, in any column, whose text contains ``needle``."""
    found = []
    async with store.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in (await connection.execute(select(table))).all():
                if needle in " ".join(str(value) for value in row):
                    found.append(table.name)
    return found


@pytest.fixture
async def alice(store: SqlStore) -> Story:
    return await tell_story(store, "1001", MARKER)


@pytest.fixture
async def bob(store: SqlStore) -> Story:
    return await tell_story(store, "2002", "bob-words")


async def test_the_story_leaves_the_marker_in_the_store(store: SqlStore, alice: Story) -> None:
    # The check below would pass vacuously if the marker never reached these tables.
    assert {"customer", "message", "handoff"} <= set(await rows_holding(store, MARKER))


async def test_erasure_leaves_no_row_with_the_customers_words(
    store: SqlStore, alice: Story
) -> None:
    await store.erase_customer(alice.customer.id, actor="cli")
    assert await rows_holding(store, MARKER) == []


async def test_erasure_removes_the_customer_and_their_conversations(
    store: SqlStore, alice: Story
) -> None:
    await store.erase_customer(alice.customer.id, actor="cli")
    with pytest.raises(NotFound):
        await store.get_customer(alice.customer.id)
    with pytest.raises(NotFound):
        await store.get_conversation(alice.conversation_id)


async def test_erasure_removes_timers_keyed_by_the_conversations(
    store: SqlStore, alice: Story
) -> None:
    await store.erase_customer(alice.customer.id, actor="cli")
    assert await store.get_timer(TimerKind.WAIT_UPDATE, str(alice.conversation_id)) is None


async def test_erasure_reports_counts_and_the_forum_topics(store: SqlStore, alice: Story) -> None:
    erasure = await store.erase_customer(alice.customer.id, actor="cli")
    assert (
        erasure.conversations,
        erasure.messages,
        erasure.handoffs,
        erasure.feedback,
        erasure.timers,
        erasure.attachments,
        erasure.telegram_topics,
    ) == (1, 2, 1, 1, 1, 1, (77,))


async def test_erasure_is_audited_without_content(store: SqlStore, alice: Story) -> None:
    await store.erase_customer(alice.customer.id, actor="cli")
    async with store.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT actor, target, detail FROM audit_log WHERE action = 'erase_customer'")
            )
        ).all()
    assert [tuple(row) for row in rows] == [
        (
            "cli",
            f"customer:{alice.customer.id}",
            "1 conversations, 2 messages, 1 handoffs, 1 feedback, 1 timers, 1 attachments",
        )
    ]


async def test_erasure_leaves_other_customers_alone(
    store: SqlStore, alice: Story, bob: Story
) -> None:
    before = await store.export_customer(bob.customer.id)
    await store.erase_customer(alice.customer.id, actor="cli")
    assert await store.export_customer(bob.customer.id) == before


async def test_erasing_an_unknown_customer_raises(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.erase_customer(999, actor="cli")


async def test_the_export_holds_everything_the_customer_left(store: SqlStore, alice: Story) -> None:
    record = await store.export_customer(alice.customer.id)
    assert (
        len(record.conversations),
        [m.sender for m in record.messages],
        [h.summary for h in record.handoffs],
        [f.rating for f in record.feedback],
        [(a.ref.name, a.data) for a in record.attachments],
    ) == (
        1,
        [SenderKind.CUSTOMER, SenderKind.AGENT],
        [f"my badge {MARKER} is broken"],
        [5],
        [(f"badge-{MARKER}.png", PNG + MARKER.encode())],
    )


async def test_the_export_round_trips_through_json(store: SqlStore, alice: Story) -> None:
    record = await store.export_customer(alice.customer.id)
    document = json.loads(to_json(record))
    assert (
        document["format"],
        document["customer"]["id"],
        document["conversations"][0]["id"],
        [m["text"] for m in document["messages"]],
        document["messages"][0]["edited_text"],
        base64.b64decode(document["attachments"][0]["data"]),
    ) == (
        JSON_FORMAT,
        alice.customer.id,
        str(alice.conversation_id),
        [m.text for m in record.messages],
        f"my badge {MARKER} is really broken",
        PNG + MARKER.encode(),
    )


async def test_exporting_an_unknown_customer_raises(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.export_customer(999)
