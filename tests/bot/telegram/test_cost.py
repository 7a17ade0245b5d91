"""What one answered Telegram update costs the database."""

from __future__ import annotations

from bot.channels.telegram.channel import TelegramChannel
from tests.bot.telegram.conftest import CHAT, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi
from tests.bot.transactions import counted_transactions


async def test_an_answered_update_costs_three_transactions(
    fake: FakeBotApi, channel: TelegramChannel
) -> None:
    await handled(fake, fake.push_text(CHAT, "hello"))  # the first also reads the notices
    with counted_transactions() as began:
        await handled(fake, fake.push_text(CHAT, "How do I connect to the VPN?"))
    # Store the message, store the reply, record where the reply landed.
    assert ("vpn.example.org" in fake.sent_to(CHAT)[-1].text, len(began)) == (True, 3)
