"""The flood limit of Telegram chats: beyond it messages are kept, not answered."""

from __future__ import annotations

import pytest

from bot.channels.telegram.channel import TelegramChannel
from handoff.model import Message, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.clocks import HandClock
from tests.bot.telegram.conftest import CHAT, ChannelFactory, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi

OTHER_CHAT = 777002
LIMIT = 3
WINDOW_S = 10.0
QUESTIONS = [
    "How do I connect to the VPN?",
    "I forgot my password",
    "my laptop was stolen",
    "vpn doesn't work from home",
    "how do I reset my password?",
    "I lost my phone",
]


@pytest.fixture
def clock() -> HandClock:
    return HandClock()


@pytest.fixture
async def flood_channel(start_channel: ChannelFactory, clock: HandClock) -> TelegramChannel:
    return await start_channel(flood_messages=LIMIT, flood_window_s=WINDOW_S, clock=clock)


async def _transcript(store: SqlStore, chat: int) -> list[Message]:
    customer = await store.find_customer(channel="telegram", external_id=str(chat))
    assert customer is not None
    return await store.customer_messages(customer.id)


def _replies_per_question(transcript: list[Message]) -> list[list[str]]:
    """For each customer message in order, the kinds of the bot's replies to it."""
    asked = [m for m in transcript if m.sender is SenderKind.CUSTOMER]
    return [
        [str(r.meta.get("kind")) for r in transcript if r.reply_to == message.id]
        for message in asked
    ]


async def test_a_chat_over_the_limit_is_kept_unanswered_and_told_once(
    fake: FakeBotApi, flood_channel: TelegramChannel, store: SqlStore
) -> None:
    last = 0
    for question in QUESTIONS:
        last = fake.push_text(CHAT, question)
    await handled(fake, last)

    transcript = await _transcript(store, CHAT)
    assert [m.text for m in transcript if m.sender is SenderKind.CUSTOMER] == QUESTIONS
    replies = _replies_per_question(transcript)
    assert all(kinds for kinds in replies[:LIMIT])
    assert replies[LIMIT:] == [["flood"], [], []]
    assert "faster than I can read" in fake.sent_to(CHAT)[-1].text


async def test_other_chats_and_a_later_window_are_answered(
    fake: FakeBotApi, flood_channel: TelegramChannel, store: SqlStore, clock: HandClock
) -> None:
    for question in QUESTIONS[: LIMIT + 1]:
        fake.push_text(CHAT, question)
    other = fake.push_text(OTHER_CHAT, "I forgot my password")
    await handled(fake, other)
    clock.now += WINDOW_S + 1
    later = fake.push_text(CHAT, "my laptop was stolen")
    await handled(fake, later)

    assert "flood" not in _replies_per_question(await _transcript(store, OTHER_CHAT))[0]
    replies = _replies_per_question(await _transcript(store, CHAT))
    assert replies[LIMIT] == ["flood"]
    assert replies[-1] not in ([], ["flood"])
