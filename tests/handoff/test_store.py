"""The SQL store on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import timedelta

import pytest

from handoff.errors import NotFound, StoreUnavailable
from handoff.model import (
    CHANNEL_REF,
    Button,
    Conversation,
    ConversationState,
    DeliveryOutcome,
    DeliveryStatus,
    Message,
    NewMessage,
    SenderKind,
    TranscriptLine,
)
from handoff.store.port import Store
from handoff.store.sql import SqlStore
from tests.handoff.conftest import START, FakeClock


def _customer_says(text: str, external_id: str | None = None) -> NewMessage:
    return NewMessage(sender=SenderKind.CUSTOMER, text=text, external_id=external_id)


def test_sql_store_has_every_method_of_the_port() -> None:
    port_methods = {name for name in vars(Store) if not name.startswith("_")}
    assert port_methods <= {name for name in dir(SqlStore) if not name.startswith("_")}


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing",
        "sqlite+aiosqlite:////nonexistent-directory/helpline.db",
    ],
    ids=["postgres-refused", "sqlite-unopenable"],
)
async def test_an_unreachable_database_is_unavailable(url: str) -> None:
    before = set(threading.enumerate())
    with pytest.raises(StoreUnavailable):
        await SqlStore.open(url)
    store = await SqlStore.open(url, migrate=False)
    with pytest.raises(StoreUnavailable):
        await store.get_customer(1)
    with pytest.raises(StoreUnavailable):
        await store.find_customer(channel="web", external_id="x")
    with pytest.raises(StoreUnavailable):
        await store.receive_message(channel="web", sender_id="x", message=_customer_says("hi"))
    await store.close()
    # aiosqlite stops the worker thread of a connection that failed to open without
    # waiting for it; its callback into this test's event loop would fail in a later
    # test, once this loop is closed.
    for thread in set(threading.enumerate()) - before:
        await asyncio.to_thread(thread.join, 10)
        assert not thread.is_alive()


# Customers and conversations -------------------------------------------------------


async def test_upsert_customer_creates_then_updates(store: SqlStore) -> None:
    created = await store.upsert_customer(channel="web", external_id="v-1", display_name="Ann")
    updated = await store.upsert_customer(channel="web", external_id="v-1", language="da")
    assert updated.id == created.id
    assert (updated.display_name, updated.language) == ("Ann", "da")
    assert await store.find_customer(channel="web", external_id="v-1") == updated
    assert await store.find_customer(channel="telegram", external_id="v-1") is None
    assert await store.get_customer(created.id) == updated


async def test_a_missing_customer_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.get_customer(4242)
    with pytest.raises(NotFound):
        await store.open_conversation(4242)


async def test_open_conversation_returns_the_open_one(store: SqlStore) -> None:
    customer = await store.upsert_customer(channel="telegram", external_id="7", language="da")
    first = await store.open_conversation(customer.id)
    again = await store.open_conversation(customer.id)
    assert again.id == first.id
    assert (first.state, first.channel, first.language, first.last_seq) == (
        ConversationState.BOT,
        "telegram",
        "da",
        0,
    )
    assert first.created_at == START


async def test_concurrent_first_messages_open_one_conversation(store: SqlStore) -> None:
    customer = await store.upsert_customer(channel="web", external_id="racer")
    opened = await asyncio.gather(*(store.open_conversation(customer.id) for _ in range(10)))
    assert len({c.id for c in opened}) == 1


async def test_a_resolved_conversation_is_followed_by_a_new_one(
    store: SqlStore, conversation: Conversation
) -> None:
    await store.resolve(conversation.id, agent_id=None)
    following = await store.open_conversation(conversation.customer_id)
    assert following.id != conversation.id
    assert following.state is ConversationState.BOT
    assert (await store.get_conversation(conversation.id)).closed_at == START


async def test_set_conversation_language(store: SqlStore, conversation: Conversation) -> None:
    await store.set_conversation_language(conversation.id, "da")
    assert (await store.get_conversation(conversation.id)).language == "da"


# Transcript -------------------------------------------------------------------------


async def test_append_is_idempotent_on_the_external_id(
    store: SqlStore, conversation: Conversation
) -> None:
    first, created = await store.append_message(conversation.id, _customer_says("hi", "tg:1"))
    again, created_again = await store.append_message(
        conversation.id, _customer_says("hi (redelivered)", "tg:1")
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert [m.text for m in await store.transcript(conversation.id)] == ["hi"]


async def test_concurrent_duplicates_store_one_message(
    store: SqlStore, conversation: Conversation
) -> None:
    results = await asyncio.gather(
        *(store.append_message(conversation.id, _customer_says("x", "tg:9")) for _ in range(10))
    )
    assert sorted(created for _, created in results) == [False] * 9 + [True]
    assert len({message.id for message, _ in results}) == 1
    assert (await store.get_conversation(conversation.id)).last_seq == 1


async def test_concurrent_appends_get_gapless_ordered_seqs(
    store: SqlStore, conversation: Conversation
) -> None:
    results = await asyncio.gather(
        *(store.append_message(conversation.id, _customer_says(f"m{i}")) for i in range(50))
    )
    assert sorted(message.seq for message, _ in results) == list(range(1, 51))
    transcript = await store.transcript(conversation.id)
    assert [m.seq for m in transcript] == list(range(1, 51))
    assert [m.id for m in transcript] == sorted(m.id for m in transcript)
    assert (await store.get_conversation(conversation.id)).last_seq == 50


async def test_append_to_a_missing_conversation_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.append_message(uuid.uuid4(), _customer_says("hello?"))


async def test_a_message_keeps_what_it_was_given(
    store: SqlStore, conversation: Conversation, agent_ids: list[int], clock: FakeClock
) -> None:
    clock.advance(30)
    question, _ = await store.append_message(conversation.id, _customer_says("vpn?"))
    answer, _ = await store.append_message(
        conversation.id,
        NewMessage(
            sender=SenderKind.AGENT,
            text="Try this",
            agent_id=agent_ids[0],
            reply_to=question.id,
            buttons=(Button(title="Thanks", payload="/thanks"),),
            meta={"article": "vpn-connect", "score": 0.8},
            delivery=DeliveryStatus.PENDING,
        ),
    )
    assert await store.transcript(conversation.id, after_seq=1) == [answer]
    assert (answer.seq, answer.agent_name, answer.reply_to) == (2, "Maria", question.id)
    assert answer.buttons == (Button(title="Thanks", payload="/thanks"),)
    assert answer.meta == {"article": "vpn-connect", "score": 0.8}
    assert (answer.delivery, answer.created_at) == (
        DeliveryStatus.PENDING,
        START + timedelta(seconds=30),
    )
    assert await store.replies_to(question.id) == [answer]
    assert (await store.get_conversation(conversation.id)).updated_at == clock()


@pytest.mark.parametrize(
    ("message", "kind", "key"),
    [
        (NewMessage(sender=SenderKind.AGENT, text="x", agent_id=999), "agent", 999),
        (NewMessage(sender=SenderKind.BOT, text="x", reply_to=998), "message", 998),
    ],
)
async def test_append_with_a_missing_reference_is_not_found(
    store: SqlStore, conversation: Conversation, message: NewMessage, kind: str, key: int
) -> None:
    with pytest.raises(NotFound) as raised:
        await store.append_message(conversation.id, message)
    assert (raised.value.kind, raised.value.key) == (kind, key)
    assert await store.transcript(conversation.id) == []


def _line(message: Message) -> TranscriptLine:
    return TranscriptLine(message.id, message.seq, message.sender, message.text, message.meta)


async def test_the_history_of_a_turn_is_the_transcript_before_it(store: SqlStore) -> None:
    first = await store.receive_message(
        channel="web", sender_id="v-8", message=_customer_says("hi", "w:1")
    )
    maria = await store.add_agent(login="maria", name="Maria", password_hash="x")
    await store.append_messages(
        first.conversation.id,
        [
            NewMessage(
                sender=SenderKind.BOT,
                text="An answer",
                reply_to=first.message.id,
                buttons=(Button(title="Yes", payload="/helpful yes"),),
                meta={"kind": "answer", "team": "it", "tags": ["vpn"], "score": 0.9},
                delivery=DeliveryStatus.PENDING,
            ),
            NewMessage(sender=SenderKind.AGENT, text="Maria here", agent_id=maria.id),
        ],
    )
    latest = await store.receive_message(
        channel="web", sender_id="v-8", message=_customer_says("thanks", "w:2"), history=30
    )

    transcript = await store.transcript(first.conversation.id)
    assert latest.history == tuple(_line(m) for m in transcript[:-1])


async def test_receive_creates_customer_and_conversation_once(store: SqlStore) -> None:
    first = await store.receive_message(
        channel="web", sender_id="v-7", display_name="Ann", message=_customer_says("hi", "w:1")
    )
    second = await store.receive_message(
        channel="web", sender_id="v-7", message=_customer_says("still there?", "w:2"), history=5
    )
    third = await store.receive_message(
        channel="web", sender_id="v-7", message=_customer_says("hello?", "w:3"), history=1
    )
    assert (first.created, second.created) == (True, True)
    assert (first.history, second.history) == ((), (_line(first.message),))
    assert third.history == (_line(second.message),)
    assert second.customer == first.customer
    assert first.customer.display_name == "Ann"
    assert second.conversation.id == first.conversation.id
    assert [m.seq for m in (first.message, second.message, third.message)] == [1, 2, 3]
    assert await store.find_customer(channel="web", external_id="v-7") == first.customer
    assert [m.text for m in await store.transcript(first.conversation.id)] == [
        "hi",
        "still there?",
        "hello?",
    ]


async def test_receive_keeps_the_language_last_detected(store: SqlStore) -> None:
    languages = []
    for number, language in enumerate(["da", None, "en"]):
        received = await store.receive_message(
            channel="web",
            sender_id="v-8",
            language=language,
            message=_customer_says("...", f"w:lang-{number}"),
        )
        languages.append(received.conversation.language)
    assert languages == ["da", "da", "en"]
    assert (await store.get_conversation(received.conversation.id)).language == "en"


async def test_receive_is_idempotent_and_a_redelivery_opens_nothing(store: SqlStore) -> None:
    first = await store.receive_message(
        channel="telegram", sender_id="42", message=_customer_says("hi", "tg:1")
    )
    await store.resolve(first.conversation.id, agent_id=None)
    again = await store.receive_message(
        channel="telegram", sender_id="42", message=_customer_says("hi (again)", "tg:1")
    )
    assert again.created is False
    assert again.message == first.message
    assert again.conversation.id == first.conversation.id
    assert again.conversation.closed_at is not None
    # The closed conversation was not followed by a new one: nothing new was said.
    assert (await store.open_conversation(first.customer.id)).last_seq == 0
    assert len(await store.customer_messages(first.customer.id)) == 1


async def test_concurrent_receives_of_one_message_store_it_once(store: SqlStore) -> None:
    results = await asyncio.gather(
        *(
            store.receive_message(
                channel="web", sender_id="racer", message=_customer_says("x", "w:9")
            )
            for _ in range(10)
        )
    )
    assert sorted(r.created for r in results) == [False] * 9 + [True]
    assert len({r.message.id for r in results}) == 1
    assert len({r.conversation.id for r in results}) == 1


async def test_append_messages_stores_a_batch_in_order(
    store: SqlStore, conversation: Conversation
) -> None:
    question, _ = await store.append_message(conversation.id, _customer_says("q", "w:q"))
    replies = [
        NewMessage(sender=SenderKind.BOT, text=f"part {i}", reply_to=question.id) for i in range(3)
    ]
    appended = await store.append_messages(conversation.id, [*replies, _customer_says("q", "w:q")])
    assert [(m.text, m.seq, created) for m, created in appended] == [
        ("part 0", 2, True),
        ("part 1", 3, True),
        ("part 2", 4, True),
        ("q", 1, False),
    ]
    assert await store.replies_to(question.id) == [m for m, _ in appended[:3]]
    assert (await store.get_conversation(conversation.id)).last_seq == 4


async def test_a_batch_with_a_missing_reference_stores_nothing(
    store: SqlStore, conversation: Conversation
) -> None:
    good = NewMessage(sender=SenderKind.BOT, text="fine")
    bad = NewMessage(sender=SenderKind.BOT, text="x", reply_to=997)
    with pytest.raises(NotFound):
        await store.append_messages(conversation.id, [good, bad])
    assert await store.transcript(conversation.id) == []


async def test_customer_messages_span_conversations(store: SqlStore, clock: FakeClock) -> None:
    customer = await store.upsert_customer(channel="web", external_id="returning")
    other = await store.upsert_customer(channel="web", external_id="someone-else")
    first = await store.open_conversation(customer.id)
    old, _ = await store.append_message(first.id, _customer_says("old question"))
    await store.resolve(first.id, agent_id=None)
    second = await store.open_conversation(customer.id)
    await store.append_message(
        (await store.open_conversation(other.id)).id, _customer_says("not mine")
    )
    new, _ = await store.append_message(second.id, _customer_says("new question"))
    assert [m.text for m in await store.customer_messages(customer.id)] == [
        "old question",
        "new question",
    ]
    assert await store.customer_messages(customer.id, after_id=old.id) == [new]


async def test_record_deliveries_keeps_each_outcome_and_where_it_landed(
    store: SqlStore, conversation: Conversation
) -> None:
    pending = NewMessage(sender=SenderKind.BOT, text="hello", delivery=DeliveryStatus.PENDING)
    [(sent, _), (failed, _)] = await store.append_messages(conversation.id, [pending, pending])
    await store.record_deliveries(
        [
            DeliveryOutcome(sent.id, DeliveryStatus.SENT, channel_ref="777:12"),
            DeliveryOutcome(failed.id, DeliveryStatus.FAILED, error="403 blocked"),
        ]
    )
    stored = await store.transcript(conversation.id)
    assert [(m.delivery, m.delivery_error, m.meta.get(CHANNEL_REF)) for m in stored] == [
        (DeliveryStatus.SENT, None, "777:12"),
        (DeliveryStatus.FAILED, "403 blocked", None),
    ]


async def test_record_deliveries_with_a_missing_message_records_nothing(
    store: SqlStore, conversation: Conversation
) -> None:
    reply, _ = await store.append_message(
        conversation.id,
        NewMessage(sender=SenderKind.BOT, text="hello", delivery=DeliveryStatus.PENDING),
    )
    with pytest.raises(NotFound):
        await store.record_deliveries(
            [
                DeliveryOutcome(reply.id, DeliveryStatus.SENT),
                DeliveryOutcome(999, DeliveryStatus.SENT),
            ]
        )
    [stored] = await store.transcript(conversation.id)
    assert stored.delivery is DeliveryStatus.PENDING


async def test_a_sender_who_must_exist_and_does_not_leaves_no_trace(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        await store.receive_message(
            channel="web", sender_id="nobody", message=_customer_says("hi"), create_customer=False
        )
    assert await store.find_customer(channel="web", external_id="nobody") is None


async def test_a_customer_who_writes_is_reachable_again(store: SqlStore) -> None:
    customer = await store.upsert_customer(channel="telegram", external_id="42")
    await store.set_unreachable(customer.id, True)
    received = await store.receive_message(
        channel="telegram", sender_id="42", message=_customer_says("back again")
    )
    stored = await store.get_customer(customer.id)
    assert (received.customer.unreachable_at, stored.unreachable_at) == (None, None)
