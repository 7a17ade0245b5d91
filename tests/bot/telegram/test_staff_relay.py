"""The staff group's topics mirror what agents do in the web console (the runtime's calls)."""

from __future__ import annotations

from bot.runtime import Runtime
from bot.telegram.channel import TelegramChannel
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, STAFF, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi
from tests.bot.telegram.staff_topics import conversation_of, handed_off, staff_of, topic_texts


async def test_a_claim_in_the_console_is_told_and_renames_the_topic(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    runtime: Runtime,
    agents: tuple[int, int],
) -> None:
    topic = await handed_off(fake, staff_channel)
    await runtime.claim(await conversation_of(store, topic), agents[1])
    await staff_of(staff_channel).settled()
    assert (topic_texts(fake, topic)[-1], fake.topics[topic]) == (
        "System: Jonas has joined the conversation.",
        "[With Jonas] Ada",
    )


async def test_a_reply_in_the_console_appears_in_the_topic(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    runtime: Runtime,
    agents: tuple[int, int],
) -> None:
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await runtime.claim(conversation_id, agents[1])
    await runtime.agent_reply(conversation_id, agents[1], "Which laptop is it?")
    await staff_of(staff_channel).settled()
    assert topic_texts(fake, topic)[-1] == "Jonas: Which laptop is it?"


async def test_a_release_in_the_console_renames_the_topic(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    runtime: Runtime,
    agents: tuple[int, int],
) -> None:
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await runtime.claim(conversation_id, agents[1])
    await runtime.release(conversation_id, agents[1])
    await staff_of(staff_channel).settled()
    assert fake.topics[topic] == "[Waiting] Ada"


async def test_a_transfer_in_the_console_renames_the_topic(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    runtime: Runtime,
    agents: tuple[int, int],
) -> None:
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await runtime.claim(conversation_id, agents[1])
    await runtime.transfer_to_agent(conversation_id, agents[1], agents[0])
    await staff_of(staff_channel).settled()
    assert fake.topics[topic] == "[With Maria] Ada"


async def test_a_resolve_in_the_console_is_told_and_renames_the_topic(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    runtime: Runtime,
    agents: tuple[int, int],
) -> None:
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await runtime.claim(conversation_id, agents[1])
    await runtime.resolve(conversation_id, agents[1])
    await staff_of(staff_channel).settled()
    assert (
        any(text.startswith("System:") and "Jonas" in text for text in topic_texts(fake, topic)),
        fake.topics[topic],
    ) == (True, "[Resolved] Ada")


async def test_a_conversation_with_the_bot_gets_no_topic(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    await handled(fake, fake.push_text(CHAT, "how do I reset my password"))
    await staff_of(staff_channel).settled()
    assert (fake.topics, fake.sent_to(STAFF)) == ({}, [])


async def test_a_failing_staff_group_does_not_keep_the_customer_waiting(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    fake.fail("createForumTopic", 400, "Bad Request: not enough rights to create a topic")
    await handled(fake, fake.push_text(CHAT, "/human"))
    await staff_of(staff_channel).settled()
    assert (fake.topics, len(fake.sent_to(CHAT)) > 0) == ({}, True)
