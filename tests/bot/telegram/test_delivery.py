"""Sending to Telegram: formatting, splitting, buttons, and what each error answer means."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest

from bot.channels.telegram.channel import TelegramChannel, build_application
from bot.channels.telegram.delivery import TelegramDelivery
from bot.errors import DeliveryFailed
from bot.runtime.core import Runtime
from handoff.model import Button, Customer, Message, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, fast_limiter, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi


@pytest.fixture
async def delivery(fake: FakeBotApi, store: SqlStore) -> AsyncIterator[TelegramDelivery]:
    application = build_application(fake.token, fake.base_url)
    async with application:
        yield TelegramDelivery(application.bot, store, limiter=fast_limiter(), max_retries=2)


@pytest.fixture
async def customer(store: SqlStore) -> Customer:
    return await store.upsert_customer(channel="telegram", external_id=str(CHAT))


def _message(text: str, *, sender: SenderKind = SenderKind.BOT, **extra: object) -> Message:
    return Message(
        id=1,
        conversation_id=uuid4(),
        seq=1,
        sender=sender,
        text=text,
        created_at=datetime.now(UTC),
        **extra,  # type: ignore[arg-type]
    )


async def test_article_markdown_is_sent_as_entities(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    await delivery.deliver(customer, _message("Open **Secure Client** now"))
    sent = fake.sent_to(CHAT)[0]
    assert (sent.text, sent.entities) == (
        "Open Secure Client now",
        [{"type": "bold", "offset": 5, "length": 13}],
    )


async def test_an_agent_message_names_the_agent(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    message = _message("Try again now", sender=SenderKind.AGENT, agent_id=1, agent_name="Maria")
    await delivery.deliver(customer, message)
    assert fake.sent_to(CHAT)[0].text == "Maria: Try again now"


async def test_a_long_answer_is_split_and_the_buttons_go_last(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    text = "😀 word " * 1000  # 8000 UTF-16 units
    buttons = (Button("Talk to a person", "/human"),)
    await delivery.deliver(customer, _message(text, buttons=buttons))
    sent = fake.sent_to(CHAT)
    assert [bool(s.buttons) for s in sent] == [False, True]


async def test_a_payload_too_long_for_telegram_travels_as_a_reference(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    buttons = (Button("Long", "/article " + "x" * 80),)
    await delivery.deliver(customer, _message("Pick one", buttons=buttons))
    assert fake.sent_to(CHAT)[0].buttons == [("Long", "#b:1:0")]


async def test_flood_control_is_waited_out(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    fake.fail("sendMessage", 429, "Too Many Requests: retry after 1", parameters={"retry_after": 1})
    await delivery.deliver(customer, _message("hello"))
    assert (len(fake.called("sendMessage")), len(fake.sent_to(CHAT))) == (2, 1)


async def test_flood_control_gives_up_after_the_retries(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    fake.fail("sendMessage", 429, "Too Many Requests", parameters={"retry_after": 0}, times=5)
    with pytest.raises(DeliveryFailed):
        await delivery.deliver(customer, _message("hello"))


async def test_a_bad_request_is_never_retried(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    fake.fail("sendMessage", 400, "Bad Request: message text is empty")
    with pytest.raises(DeliveryFailed):
        await delivery.deliver(customer, _message("hello"))
    assert len(fake.called("sendMessage")) == 1


async def test_rejected_formatting_falls_back_to_plain_text(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer
) -> None:
    fake.fail("sendMessage", 400, "Bad Request: can't parse entities: unsupported start tag")
    await delivery.deliver(customer, _message("Open **Secure Client** now"))
    sent = fake.sent_to(CHAT)
    assert [(s.text, s.entities) for s in sent] == [("Open Secure Client now", [])]


async def test_a_blocked_bot_flags_the_customer_unreachable(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer, store: SqlStore
) -> None:
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    with pytest.raises(DeliveryFailed):
        await delivery.deliver(customer, _message("hello"))
    assert (await store.get_customer(customer.id)).unreachable_at is not None


async def test_a_migrated_chat_moves_the_customer(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer, store: SqlStore
) -> None:
    fake.fail(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        parameters={"migrate_to_chat_id": -1001234},
    )
    await delivery.deliver(customer, _message("hello"))
    moved = await store.get_customer(customer.id)
    assert (moved.external_id, [s.chat_id for s in fake.sent]) == ("-1001234", [-1001234])


async def _stored(store: SqlStore, customer: Customer, text: str) -> Message:
    conversation = await store.open_conversation(customer.id)
    message, _ = await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.BOT, text=text)
    )
    return message


async def test_a_status_update_edits_the_previous_status_message(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer, store: SqlStore
) -> None:
    first = await _stored(store, customer, "Expected wait: about 10-20 minutes.")
    await delivery.deliver(customer, first)
    (delivered,) = await store.transcript(first.conversation_id)
    update = await _stored(store, customer, "Expected wait: about 5-10 minutes.")
    await delivery.edit(customer, delivered, update)
    assert [s.method for s in fake.sent] == ["sendMessage", "editMessageText"]
    assert fake.sent[1].message_id == fake.sent[0].message_id
    assert fake.sent[1].text == "Expected wait: about 5-10 minutes."


async def test_an_edit_without_a_delivered_original_sends_a_new_message(
    fake: FakeBotApi, delivery: TelegramDelivery, customer: Customer, store: SqlStore
) -> None:
    never_delivered = await _stored(store, customer, "Expected wait: about 10-20 minutes.")
    update = await _stored(store, customer, "Expected wait: about 5-10 minutes.")
    await delivery.edit(customer, never_delivered, update)
    assert [(s.method, s.text) for s in fake.sent] == [
        ("sendMessage", "Expected wait: about 5-10 minutes.")
    ]


async def test_a_notice_is_announced_to_the_notice_channel(
    fake: FakeBotApi, channel: TelegramChannel
) -> None:
    await channel.announce(-100555, "Two colleagues are ill today: expect 10-20 minutes.")
    assert [(s.chat_id, s.text) for s in fake.sent] == [
        (-100555, "Two colleagues are ill today: expect 10-20 minutes.")
    ]


async def test_a_hand_back_and_the_answer_to_the_last_question_reach_the_customer(
    fake: FakeBotApi,
    channel: TelegramChannel,
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
) -> None:
    maria, _ = agents
    fake.push_text(CHAT, "How do I connect to the VPN?")
    await handled(fake, fake.push_text(CHAT, "can I talk to a person"))
    (conversation,) = await store.recent_conversations()
    await runtime.claim(conversation.id, maria)
    await handled(fake, fake.push_text(CHAT, "also, how do I reset my password?"))
    before = len(fake.sent_to(CHAT))
    await runtime.hand_back(conversation.id, maria)
    assert [s.text for s in fake.sent_to(CHAT)[before:]] == [
        "You are back with the bot. About your last question:",
        "Go to https://password.example.org and choose Forgot password.",
    ]
