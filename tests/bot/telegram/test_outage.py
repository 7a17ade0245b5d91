"""Telegram through a database really cut off (tests/outage.py): no update is lost.

Polling confirms no update it could not store: the offset stays, and the update is
handled once the database is back, exactly once. The webhook answers 503 with
Retry-After, so Telegram posts the update again; the second post is handled. The staff
group's commands go the same way. The log says the database is unavailable, in one line
without a traceback.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import httpx
import pytest

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.web.app import create_app
from bot.channels.web.unavailable import DETAIL, RETRY_AFTER_S
from bot.service.composition import Service
from bot.settings.model import Settings
from handoff.model import ConversationState, SenderKind
from handoff.store.port import Store
from tests.bot.telegram.conftest import CHAT, MARIA_TG, PUBLIC_URL, WEBHOOK_SECRET, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi
from tests.bot.telegram.staff_topics import (
    conversation_of,
    handed_off,
    staff_of,
    staff_update,
    topic_texts,
)
from tests.outage import Outage, cut_when_idle

UNAVAILABLE = "the database is unavailable"


@pytest.fixture
def settings(settings: Settings, outage: Outage) -> Settings:
    """The bot tests' deployment, on a database the test can cut off."""
    return settings.model_copy(update={"database_url": outage.url})


@pytest.fixture
def poll_retry_s() -> float:
    """Poll again soon after a failure, so that a test need not wait the service's 5 s."""
    return 0.1


class _Heard(logging.Handler):
    """Set once a log line of the Telegram channel says the database is unavailable."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if UNAVAILABLE in record.getMessage():
            self.event.set()

    async def wait(self) -> None:
        async with asyncio.timeout(10):
            await self.event.wait()


@pytest.fixture
def heard(caplog: pytest.LogCaptureFixture) -> Iterator[_Heard]:
    caplog.set_level(logging.DEBUG, logger="bot.channels")
    handler = _Heard()
    logger = logging.getLogger("bot.channels")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def _said_plainly(caplog: pytest.LogCaptureFixture) -> None:
    """The outage was logged as what it is: one line, no traceback, nothing worse."""
    assert any(UNAVAILABLE in r.getMessage() for r in caplog.records)
    assert [
        r.getMessage() for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR
    ] == []


async def _customer_lines(store: Store) -> list[str]:
    customer = await store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    return [
        m.text
        for m in await store.customer_messages(customer.id)
        if m.sender is SenderKind.CUSTOMER
    ]


async def test_a_polled_update_is_kept_by_telegram_until_the_database_is_back(
    fake: FakeBotApi,
    channel: TelegramChannel,
    store: Store,
    outage: Outage,
    heard: _Heard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await cut_when_idle(outage)
    try:
        update_id = fake.push_text(CHAT, "How do I connect to the VPN?")
        await heard.wait()
        confirmed_during_the_outage = fake.confirmed_offset
    finally:
        outage.restore()
    await handled(fake, update_id)
    assert confirmed_during_the_outage <= update_id
    assert await _customer_lines(store) == ["How do I connect to the VPN?"]
    replies = [sent.text for sent in fake.sent_to(CHAT)]
    assert (len(replies), "vpn.example.org" in replies[0]) == (1, True)
    _said_plainly(caplog)


async def test_a_staff_command_is_kept_by_telegram_until_the_database_is_back(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: Store,
    outage: Outage,
    heard: _Heard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await cut_when_idle(outage)
    try:
        update_id = fake.push(staff_update(topic, MARIA_TG, "/take"))
        await heard.wait()
        confirmed_during_the_outage = fake.confirmed_offset
    finally:
        outage.restore()
    await handled(fake, update_id)
    await staff_of(staff_channel).settled()
    assert confirmed_during_the_outage <= update_id
    conversation = await store.get_conversation(conversation_id)
    assert (conversation.state, fake.topics[topic]) == (ConversationState.AGENT, "[With Maria] Ada")
    joined = "System: Maria has joined the conversation."
    assert topic_texts(fake, topic).count(joined) == 1
    _said_plainly(caplog)


async def test_a_webhook_post_is_refused_with_503_and_handled_when_posted_again(
    fake: FakeBotApi,
    webhook_service: Service,
    outage: Outage,
    heard: _Heard,
    caplog: pytest.LogCaptureFixture,
) -> None:
    update = {"update_id": 9001, "message": fake.message(CHAT, text="How do I connect to the VPN?")}
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    transport = httpx.ASGITransport(app=create_app(webhook_service))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        await cut_when_idle(outage)
        try:
            refused = await client.post("/telegram/webhook", json=update, headers=headers)
        finally:
            outage.restore()
        redelivered = await client.post("/telegram/webhook", json=update, headers=headers)
    assert (refused.status_code, refused.headers["retry-after"], refused.json()) == (
        503,
        str(RETRY_AFTER_S),
        {"detail": DETAIL},
    )
    assert redelivered.status_code == 200
    assert await _customer_lines(webhook_service.store) == ["How do I connect to the VPN?"]
    replies = [sent.text for sent in fake.sent_to(CHAT)]
    assert (len(replies), "vpn.example.org" in replies[0]) == (1, True)
    assert heard.event.is_set()
    _said_plainly(caplog)
