"""The store's time-driven parts on SQLite and PostgreSQL: notices and retention purges."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from handoff.attachments import NewAttachment
from handoff.errors import NotFound
from handoff.model import Conversation, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.handoff.conftest import START, FakeClock

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def test_ending_a_notice_ends_it_now(store: SqlStore, clock: FakeClock) -> None:
    notice = await store.post_notice(
        texts={"en": "Busy"}, starts_at=START, ends_at=START + timedelta(hours=4)
    )
    clock.advance(3600)
    ended = await store.end_notice(notice.id, at=clock(), actor="agent:sofie")
    assert ended.ends_at == clock()
    assert await store.active_notices(clock()) == []


async def test_ending_never_extends_a_notice(store: SqlStore) -> None:
    notice = await store.post_notice(
        texts={"en": "Busy"}, starts_at=START, ends_at=START + timedelta(hours=1)
    )
    ended = await store.end_notice(notice.id, at=START + timedelta(hours=3), actor="cli")
    assert ended.ends_at == START + timedelta(hours=1)


async def test_ending_an_unknown_notice_raises(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.end_notice(99, at=START, actor="cli")


async def test_listing_leaves_out_notices_ended_before_since(store: SqlStore) -> None:
    old = await store.post_notice(
        texts={"en": "Old"}, starts_at=START, ends_at=START + timedelta(hours=1)
    )
    new = await store.post_notice(
        texts={"en": "New"}, starts_at=START + timedelta(hours=2), ends_at=None
    )
    assert [n.id for n in await store.list_notices()] == [new.id, old.id]
    assert [n.id for n in await store.list_notices(since=START + timedelta(hours=1))] == [new.id]


async def test_a_purge_erases_old_closed_conversations_with_everything_in_them(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    question, _ = await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text="my vpn", external_id="q1")
    )
    await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.BOT, text="try this", reply_to=question.id)
    )
    await store.resolve(conversation.id, agent_id=None)
    customer = await store.upsert_customer(channel="web", external_id="later")
    recent = await store.open_conversation(customer.id)
    clock.advance(40 * 86400)
    await store.resolve(recent.id, agent_id=None)
    erased = await store.purge_closed_conversations(
        closed_before=clock() - timedelta(days=30), actor="system"
    )
    assert erased == 1
    with pytest.raises(NotFound):
        await store.get_conversation(conversation.id)
    assert await store.transcript(conversation.id) == []
    assert (await store.get_conversation(recent.id)).closed_at is not None


async def test_a_purge_is_audited_without_content(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    await store.resolve(conversation.id, agent_id=None)
    clock.advance(86400)
    await store.purge_closed_conversations(closed_before=clock(), actor="system")
    async with store.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT actor, detail FROM audit_log WHERE action = 'retention_purge'")
            )
        ).all()
    assert [(actor, detail.split(" ")[0]) for actor, detail in rows] == [("system", "1")]


async def test_a_purge_erases_the_files_of_old_conversations_with_them(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    question, _ = await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text="shot.png", external_id="q1")
    )
    file = NewAttachment.check(PNG, "shot.png")
    kept = await store.add_attachment(conversation.customer_id, file)
    await store.link_attachments(question.id, conversation.customer_id, [kept.id])
    stray = await store.add_attachment(conversation.customer_id, file)  # never sent
    await store.resolve(conversation.id, agent_id=None)
    clock.advance(40 * 86400)
    fresh = await store.add_attachment(conversation.customer_id, file)
    await store.purge_closed_conversations(
        closed_before=clock() - timedelta(days=30), actor="system"
    )
    for gone in (kept, stray):
        with pytest.raises(NotFound):
            await store.get_attachment(gone.id)
    assert (await store.get_attachment(fresh.id)).data == PNG
