"""What customers send on Telegram: commands, buttons, media, captions and edits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.telegram.channel import TelegramChannel
from bot.runtime.core import Runtime
from handoff.model import ConversationState, Message, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi


async def _customer_messages(store: SqlStore) -> list[Message]:
    customer = await store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    return [
        m for m in await store.customer_messages(customer.id) if m.sender is SenderKind.CUSTOMER
    ]


async def test_start_greets(fake: FakeBotApi, channel: TelegramChannel) -> None:
    await handled(fake, fake.push_text(CHAT, "/start"))
    assert fake.sent_to(CHAT)[-1].text.startswith("Hi! I'm the Helpline bot.")


async def test_start_shows_the_active_notices_first(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    now = datetime.now(UTC)
    await store.post_notice(
        texts={"en": "Email is down; we are on it."},
        starts_at=now - timedelta(hours=1),
        ends_at=None,
    )
    await handled(fake, fake.push_text(CHAT, "/start"))
    assert "Email is down" in fake.sent_to(CHAT)[0].text


async def test_help_explains_the_commands(fake: FakeBotApi, channel: TelegramChannel) -> None:
    await handled(fake, fake.push_text(CHAT, "/help@helpline_test_bot"))
    assert "/human" in fake.sent_to(CHAT)[-1].text


async def test_human_hands_the_conversation_to_people(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    await handled(fake, fake.push_text(CHAT, "/human"))
    queue = await store.queue()
    assert [entry.customer.external_id for entry in queue] == [str(CHAT)]


async def test_end_closes_the_conversation(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    await handled(fake, fake.push_text(CHAT, "/human"))
    await handled(fake, fake.push_text(CHAT, "/end"))
    conversation = await store.get_conversation(
        (await _customer_messages(store))[0].conversation_id
    )
    assert (conversation.state, conversation.closed_at is not None) == (ConversationState.BOT, True)


async def test_buttons_come_as_an_inline_keyboard(
    fake: FakeBotApi, channel: TelegramChannel
) -> None:
    await handled(fake, fake.push_text(CHAT, "what is the meaning of life"))
    assert ("Talk to a person", "/human") in fake.sent_to(CHAT)[-1].buttons


async def test_a_pressed_button_is_answered_and_acts(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    await handled(fake, fake.push_text(CHAT, "what is the meaning of life"))
    shown = fake.sent_to(CHAT)[-1]
    press = fake.push(
        {
            "callback_query": {
                "id": "cb-1",
                "from": {"id": CHAT, "is_bot": False, "first_name": "Ada"},
                "chat_instance": "ci",
                "data": "/human",
                "message": {
                    "message_id": shown.message_id,
                    "date": 0,
                    "chat": {"id": CHAT, "type": "private", "first_name": "Ada"},
                    "text": shown.text,
                    "reply_markup": shown.reply_markup,
                },
            }
        }
    )
    await handled(fake, press)
    messages = await _customer_messages(store)
    assert (
        [p["callback_query_id"] for p in fake.called("answerCallbackQuery")],
        messages[-1].text,
        len(await store.queue()),
    ) == (["cb-1"], "Talk to a person", 1)


@pytest.mark.parametrize(
    "content",
    [
        {"photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]},
        {
            "sticker": {
                "file_id": "f",
                "file_unique_id": "u",
                "width": 1,
                "height": 1,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
            }
        },
        {"voice": {"file_id": "f", "file_unique_id": "u", "duration": 2}},
    ],
)
async def test_media_gets_a_polite_text_only_note(
    fake: FakeBotApi, channel: TelegramChannel, content: dict[str, object]
) -> None:
    await handled(fake, fake.push({"message": fake.message(CHAT, **content)}))
    assert fake.sent_to(CHAT)[-1].text.startswith("Sorry, I can only read text.")


async def test_a_caption_is_read_as_text(fake: FakeBotApi, channel: TelegramChannel) -> None:
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    message = fake.message(CHAT, photo=photo, caption="How do I connect to the VPN?")
    await handled(fake, fake.push({"message": message}))
    assert "vpn.example.org" in fake.sent_to(CHAT)[-1].text


async def test_an_edit_is_stored_beside_the_original(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    original = fake.message(CHAT, message_id=55, text="my vpn is broke")
    await handled(fake, fake.push({"message": original}))
    edited = {**original, "text": "my vpn is broken", "edit_date": original["date"] + 5}
    await handled(fake, fake.push({"edited_message": edited}))
    stored = (await _customer_messages(store))[0]
    assert (stored.text, stored.edited_text, stored.edited_at is not None) == (
        "my vpn is broke",
        "my vpn is broken",
        True,
    )


async def test_group_messages_from_customers_are_ignored(
    fake: FakeBotApi, channel: TelegramChannel
) -> None:
    group = {"id": -100999, "type": "supergroup", "title": "Somewhere"}
    message = {**fake.message(CHAT, text="How do I connect to the VPN?"), "chat": group}
    await handled(fake, fake.push({"message": message}))
    assert fake.sent == []


async def test_a_blocked_bot_leaves_the_reply_marked_undelivered(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await handled(fake, fake.push_text(CHAT, "How do I connect to the VPN?"))
    customer = await store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    reply = (await store.customer_messages(customer.id))[-1]
    assert (reply.delivery.value, customer.unreachable_at is not None) == ("failed", True)


async def test_writing_again_makes_the_customer_reachable(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    fake.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await handled(fake, fake.push_text(CHAT, "How do I connect to the VPN?"))
    await handled(fake, fake.push_text(CHAT, "I forgot my password"))
    customer = await store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    assert customer.unreachable_at is None


@pytest.mark.parametrize(("typed", "rating"), [("5", 5), ("4 stars", 4), ("fem", 5)])
async def test_a_rating_typed_after_the_request_is_taken_as_the_button(
    fake: FakeBotApi,
    channel: TelegramChannel,
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
    typed: str,
    rating: int,
) -> None:
    maria, _ = agents
    await handled(fake, fake.push_text(CHAT, "/human"))
    (waiting,) = await store.queue()
    await runtime.claim(waiting.conversation.id, maria)
    await runtime.resolve(waiting.conversation.id, maria)
    asked = fake.sent_to(CHAT)[-1]
    assert [payload for _, payload in asked.buttons] == [f"/rate {n}" for n in range(1, 6)]

    await handled(fake, fake.push_text(CHAT, typed))

    assert fake.sent_to(CHAT)[-1].text == "Thank you for your rating!"
    stored = (await _customer_messages(store))[-1]
    assert (stored.conversation_id, stored.text, stored.meta["payload"]) == (
        waiting.conversation.id,
        typed,
        f"/rate {rating}",
    )
    assert "channel_ref" in stored.meta  # a later edit of it is found, as of any message
    feedback = await store.feedback(waiting.conversation.id)
    assert [(f.rating, f.agent_id) for f in feedback] == [(rating, maria)]
    assert await store.queue() == []
