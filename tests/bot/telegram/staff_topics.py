"""What the staff group tests share: the staff chat, its agents, and reading its topics."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.staff import StaffGroup
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, MARIA_TG, STAFF, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi


def staff_of(channel: TelegramChannel) -> StaffGroup:
    """The channel's staff group (the fixture always configures one)."""
    assert channel.staff is not None
    return channel.staff


def staff_update(topic: int, user_id: int, text: str) -> dict[str, Any]:
    """Someone writes ``text`` in a topic of the staff group."""
    return {
        "message": {
            "message_id": 70000 + user_id,
            "date": 0,
            "chat": {"id": STAFF, "type": "supergroup", "title": "Staff", "is_forum": True},
            "from": {"id": user_id, "is_bot": False, "first_name": "Staff"},
            "message_thread_id": topic,
            "is_topic_message": True,
            "text": text,
        }
    }


async def in_topic(
    fake: FakeBotApi, channel: TelegramChannel, topic: int, text: str, *, user_id: int = MARIA_TG
) -> None:
    """Someone (Maria unless said otherwise) writes in a topic; return once it is handled
    and the topic is up to date."""
    await handled(fake, fake.push(staff_update(topic, user_id, text)))
    await staff_of(channel).settled()


async def handed_off(fake: FakeBotApi, channel: TelegramChannel) -> int:
    """The customer asks for a person; return the topic opened for them."""
    await handled(fake, fake.push_text(CHAT, "/human"))
    await staff_of(channel).settled()
    return next(iter(fake.topics))


async def conversation_of(store: SqlStore, topic: int) -> UUID:
    """The conversation a topic belongs to."""
    conversation_id = await store.conversation_for_topic(topic)
    assert conversation_id is not None
    return conversation_id


def topic_texts(fake: FakeBotApi, topic: int) -> list[str]:
    """What the bot posted into a topic, in order."""
    return [s.text for s in fake.sent_to(STAFF) if s.thread_id == topic]
