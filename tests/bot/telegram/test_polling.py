"""Long polling with our own fetch loop: store and answer first, confirm afterwards."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.channels.telegram.channel import TelegramChannel
from bot.service.logs import configure_logging
from handoff.model import SenderKind
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, ChannelFactory, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi


async def test_a_question_is_answered_from_the_knowledge(
    fake: FakeBotApi, channel: TelegramChannel
) -> None:
    update_id = fake.push_text(CHAT, "How do I connect to the VPN?")
    await handled(fake, update_id)
    assert "vpn.example.org" in fake.sent_to(CHAT)[-1].text


async def test_the_message_is_stored_before_the_update_is_confirmed(
    fake: FakeBotApi, channel: TelegramChannel, store: SqlStore
) -> None:
    arrived = fake.hold("sendMessage")
    update_id = fake.push_text(CHAT, "How do I connect to the VPN?")
    await arrived.wait()
    customer = await store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    stored = await store.customer_messages(customer.id)
    assert (stored[0].external_id, fake.confirmed_offset <= update_id) == (
        f"telegram:{update_id}",
        True,
    )
    fake.release("sendMessage")
    await handled(fake, update_id)


async def test_a_redelivered_update_gets_no_second_message_and_no_second_reply(
    fake: FakeBotApi, channel: TelegramChannel, start_channel: ChannelFactory, store: SqlStore
) -> None:
    update_id = fake.push_text(CHAT, "How do I connect to the VPN?")
    await handled(fake, update_id)
    await channel.stop()
    fake.redeliver(update_id)
    fake.confirmed_offset = 0
    await start_channel()
    await handled(fake, update_id)
    customer = await store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    senders = [m.sender for m in await store.customer_messages(customer.id)]
    assert (senders.count(SenderKind.CUSTOMER), len(fake.sent_to(CHAT))) == (1, 1)


async def test_updates_of_one_chat_are_answered_in_order(
    fake: FakeBotApi, channel: TelegramChannel
) -> None:
    fake.push_text(CHAT, "How do I connect to the VPN?")
    last = fake.push_text(CHAT, "I forgot my password")
    await handled(fake, last)
    texts = [s.text for s in fake.sent_to(CHAT)]
    assert ("vpn.example.org" in texts[0], "password.example.org" in texts[-1]) == (True, True)


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Give the root logger's level and handlers back after the test."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.NOTSET)


@pytest.mark.usefixtures("restored_logging")
@pytest.mark.parametrize(
    ("level", "told_the_token"),
    # At INFO the HTTP client's request lines are what would show it; at DEBUG the Bot API
    # library itself logs its URL, and the service passes its secrets to the log.
    [("INFO", False), ("DEBUG", True)],
)
async def test_the_bot_token_never_reaches_the_log(
    fake: FakeBotApi, start_channel: ChannelFactory, level: str, told_the_token: bool
) -> None:
    buffer = io.StringIO()
    configure_logging(level, "text", stream=buffer, secrets=[fake.token] if told_the_token else [])
    await start_channel()
    update_id = fake.push_text(CHAT, "How do I connect to the VPN?")
    await handled(fake, update_id)
    output = buffer.getvalue()
    assert "polling as @helpline_test_bot" in output
    assert fake.token.split(":")[1] not in output
