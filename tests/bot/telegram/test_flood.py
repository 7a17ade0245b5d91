"""The flood limit of Telegram chats: beyond it messages are kept, not answered."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.runtime import Runtime
from bot.telegram.channel import TelegramChannel, build_channel
from handoff.model import Message, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, fast_limiter, handled
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


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def flood_channel(
    fake: FakeBotApi, runtime: Runtime, store: SqlStore, clock: Clock
) -> AsyncIterator[TelegramChannel]:
    built = build_channel(
        token=fake.token,
        api_url=fake.base_url,
        mode="polling",
        runtime=runtime,
        store=store,
        limiter=fast_limiter(),
        poll_timeout_s=1,
        flood_messages=LIMIT,
        flood_window_s=WINDOW_S,
        clock=clock,
    )
    await built.start()
    yield built
    await built.stop()


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
    fake: FakeBotApi, flood_channel: TelegramChannel, store: SqlStore, clock: Clock
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
