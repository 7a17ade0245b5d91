"""The staff group: a forum topic per handoff, worked by registered agents."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.runtime import Runtime
from bot.telegram.channel import TelegramChannel, build_channel
from handoff.model import ConversationState
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, fast_limiter, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi

STAFF = -1001500
MARIA_TG = 9001
STRANGER_TG = 9666


@pytest.fixture
async def staff_channel(
    fake: FakeBotApi, runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> AsyncIterator[TelegramChannel]:
    await store.set_agent_telegram_user(agents[0], MARIA_TG)
    built = build_channel(
        token=fake.token,
        api_url=fake.base_url,
        mode="polling",
        runtime=runtime,
        store=store,
        staff_chat_id=STAFF,
        limiter=fast_limiter(),
        poll_timeout_s=1,
    )
    await built.start()
    yield built
    await built.stop()


def _staff_update(topic: int, user_id: int, text: str) -> dict[str, Any]:
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


async def _handed_off(fake: FakeBotApi) -> int:
    await handled(fake, fake.push_text(CHAT, "/human"))
    return next(iter(fake.topics))


def _topic_texts(fake: FakeBotApi, topic: int) -> list[str]:
    return [s.text for s in fake.sent_to(STAFF) if s.thread_id == topic]


async def test_a_handoff_opens_a_topic_with_the_transcript(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await _handed_off(fake)
    assert (fake.topics[topic], "Customer: /human" in _topic_texts(fake, topic)[0]) == (
        "[Waiting] Ada",
        True,
    )


async def test_take_claims_and_renames_the_topic(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await _handed_off(fake)
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "/take")))
    conversation_id = await store.conversation_for_topic(topic)
    assert conversation_id is not None
    conversation = await store.get_conversation(conversation_id)
    assert (conversation.state, fake.topics[topic]) == (ConversationState.AGENT, "[With Maria] Ada")


async def test_replies_are_relayed_both_ways(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await _handed_off(fake)
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "/take")))
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "Restart the client, please")))
    await handled(fake, fake.push_text(CHAT, "Done, it works"))
    assert (fake.sent_to(CHAT)[-1].text, _topic_texts(fake, topic)[-1]) == (
        "Maria: Restart the client, please",
        "Customer: Done, it works",
    )


async def test_a_note_stays_in_the_topic(fake: FakeBotApi, staff_channel: TelegramChannel) -> None:
    topic = await _handed_off(fake)
    before = len(fake.sent_to(CHAT))
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "/note VIP customer")))
    assert (len(fake.sent_to(CHAT)), _topic_texts(fake, topic)[-1]) == (
        before,
        "Note from Maria: VIP customer",
    )


async def test_only_registered_agents_can_act(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await _handed_off(fake)
    await handled(fake, fake.push(_staff_update(topic, STRANGER_TG, "/take")))
    conversation_id = await store.conversation_for_topic(topic)
    assert conversation_id is not None
    conversation = await store.get_conversation(conversation_id)
    assert conversation.state is ConversationState.QUEUED


async def test_done_resolves(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await _handed_off(fake)
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "/take")))
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "/done")))
    conversation_id = await store.conversation_for_topic(topic)
    assert conversation_id is not None
    assert (await store.get_conversation(conversation_id)).closed_at is not None


async def test_back_puts_it_in_the_queue_again(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await _handed_off(fake)
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "/take")))
    await handled(fake, fake.push(_staff_update(topic, MARIA_TG, "/back")))
    assert fake.topics[topic] == "[Waiting] Ada"


async def test_a_deleted_topic_is_opened_again_with_the_transcript(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await _handed_off(fake)
    fake.fail("sendMessage", 400, "Bad Request: message thread not found", chat_id=STAFF)
    await handled(fake, fake.push_text(CHAT, "Anyone there?"))
    reopened = [t for t in fake.topics if t != topic]
    assert len(reopened) == 1
    assert "Customer: Anyone there?" in _topic_texts(fake, reopened[0])[0]
