"""The staff group's topics mirror what agents do in the web console (the runtime's calls)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest

from bot.channels.telegram.channel import TelegramChannel
from bot.runtime.core import Runtime
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, STAFF, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi
from tests.bot.telegram.staff_topics import conversation_of, handed_off, staff_of, topic_texts

ConsoleAction = Callable[[Runtime, UUID, tuple[int, int]], Awaitable[object]]


async def _nothing_more(runtime: Runtime, conversation_id: UUID, agents: tuple[int, int]) -> None:
    return None


async def _reply(runtime: Runtime, conversation_id: UUID, agents: tuple[int, int]) -> None:
    await runtime.agent_reply(conversation_id, agents[1], "Which laptop is it?")


async def _release(runtime: Runtime, conversation_id: UUID, agents: tuple[int, int]) -> None:
    await runtime.release(conversation_id, agents[1])


async def _transfer(runtime: Runtime, conversation_id: UUID, agents: tuple[int, int]) -> None:
    await runtime.transfer_to_agent(conversation_id, agents[1], agents[0])


async def _resolve(runtime: Runtime, conversation_id: UUID, agents: tuple[int, int]) -> None:
    await runtime.resolve(conversation_id, agents[1])


# What Jonas does in the console after claiming the conversation there; the line the topic
# then shows last, and the topic's title.
CONSOLE_ACTIONS = [
    ("claim", _nothing_more, "System: Jonas has joined the conversation.", "[With Jonas] Ada"),
    ("reply", _reply, "Jonas: Which laptop is it?", "[With Jonas] Ada"),
    (
        "release",
        _release,
        # Nobody is online: the customer is told so with it.
        "System: Jonas had to step away; you are back in the queue for the next person. "
        "Nobody from the team is available at the moment; you will get a message here when "
        "someone picks up your conversation.",
        "[Waiting] Ada",
    ),
    (
        "transfer",
        _transfer,
        "System: Jonas passed your conversation to a colleague, who will reply here.",
        "[With Maria] Ada",
    ),
    (
        "resolve",
        _resolve,
        "System: Jonas has marked this conversation as resolved. Write again any time.",
        "[Resolved] Ada",
    ),
]


@pytest.mark.parametrize(
    ("action", "last_line", "title"),
    [pytest.param(*row[1:], id=row[0]) for row in CONSOLE_ACTIONS],
)
async def test_what_an_agent_does_in_the_console_is_mirrored_in_the_topic(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    runtime: Runtime,
    agents: tuple[int, int],
    action: ConsoleAction,
    last_line: str,
    title: str,
) -> None:
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await runtime.claim(conversation_id, agents[1])
    await action(runtime, conversation_id, agents)
    await staff_of(staff_channel).settled()
    assert (topic_texts(fake, topic)[-1], fake.topics[topic]) == (last_line, title)


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


async def test_a_telegram_customer_reads_the_display_name_never_the_login(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore, runtime: Runtime
) -> None:
    desk = await store.add_agent(
        login="desk-7", name="Maria Q.", password_hash="-", teams=["it-support"]
    )
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await runtime.claim(conversation_id, desk.id)
    await runtime.agent_reply(conversation_id, desk.id, "Restart it, please")
    await runtime.resolve(conversation_id, desk.id)
    said = "\n".join(sent.text for sent in fake.sent_to(CHAT))
    assert ("Maria Q.: Restart it, please" in said, "desk-7" in said) == (True, False)
