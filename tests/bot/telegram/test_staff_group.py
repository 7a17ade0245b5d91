"""The staff group: a forum topic per handoff, worked by registered agents from the topic."""

from __future__ import annotations

import pytest

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.staff import LEFT_FOR_HIDDEN_TEAM, REFUSALS, TAKEN_BY, YOURS_ALREADY
from bot.runtime.core import Runtime
from handoff.errors import Refusal
from handoff.model import ConversationState
from handoff.store.sql import SqlStore
from tests.bot.telegram.conftest import CHAT, JONAS_TG, MARIA_TG, STAFF, STRANGER_TG, handled
from tests.bot.telegram.fake_bot_api import FakeBotApi
from tests.bot.telegram.staff_topics import (
    conversation_of,
    handed_off,
    in_topic,
    staff_of,
    topic_texts,
)


async def test_a_handoff_opens_a_topic_titled_with_its_status(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await handed_off(fake, staff_channel)
    assert fake.topics[topic] == "[Waiting] Ada"


async def test_the_first_message_is_the_handoff_card_with_the_transcript(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await handed_off(fake, staff_channel)
    card = topic_texts(fake, topic)[0]
    assert (
        card.startswith("Ada (telegram,"),
        "Why: the customer asked for a person" in card,
        "Customer: /human" in card,
    ) == (True, True, True)


async def test_stopping_posts_what_is_queued_first(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    await handled(fake, fake.push_text(CHAT, "/human"))  # the topic is queued, not yet posted
    await staff_of(staff_channel).stop()
    (topic,) = fake.topics
    assert (fake.topics[topic], topic_texts(fake, topic)[0].startswith("Ada (telegram,")) == (
        "[Waiting] Ada",
        True,
    )


async def test_take_claims_and_renames_the_topic(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    conversation = await store.get_conversation(await conversation_of(store, topic))
    assert (conversation.state, fake.topics[topic]) == (ConversationState.AGENT, "[With Maria] Ada")


async def test_replies_are_relayed_both_ways(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "Restart the client, please")
    await handled(fake, fake.push_text(CHAT, "Done, it works"))
    await staff_of(staff_channel).settled()
    assert (fake.sent_to(CHAT)[-1].text, topic_texts(fake, topic)[-1]) == (
        "Maria: Restart the client, please",
        "Customer: Done, it works",
    )


async def test_a_reply_written_in_the_topic_is_not_posted_back_into_it(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "Restart the client, please")
    assert not any("Restart the client" in text for text in topic_texts(fake, topic))


async def test_a_note_joins_the_transcript_and_stays_with_staff(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await handed_off(fake, staff_channel)
    before = len(fake.sent_to(CHAT))
    await in_topic(fake, staff_channel, topic, "/note VIP customer")
    assert (len(fake.sent_to(CHAT)), topic_texts(fake, topic)[-1]) == (
        before,
        "Note from Maria: VIP customer",
    )
    transcript = await store.transcript(await conversation_of(store, topic))
    assert [(m.text, m.meta.get("internal"), m.agent_name) for m in transcript[-1:]] == [
        ("VIP customer", True, "Maria")
    ]


@pytest.mark.parametrize(
    "command", ["/take", "/back", "/done", "/transfer jonas", "/note VIP customer", "Hello"]
)
async def test_another_teams_conversation_is_not_worked_from_its_topic(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore, command: str
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "/transfer team:security")
    conversation_id = await conversation_of(store, topic)
    before = await store.transcript(conversation_id)
    await in_topic(fake, staff_channel, topic, command)
    conversation = await store.get_conversation(conversation_id)
    assert (
        (conversation.state, conversation.team, conversation.owner_agent_id),
        await store.transcript(conversation_id) == before,
        topic_texts(fake, topic)[-1],
    ) == (
        (ConversationState.QUEUED, "security", None),
        True,
        "This conversation is another team's.",
    )


@pytest.mark.parametrize("hidden_teams", [("security",)])
async def test_a_conversation_passed_to_a_team_outside_the_group_leaves_its_topic(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await handed_off(fake, staff_channel)
    conversation_id = await conversation_of(store, topic)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "/transfer team:security")
    await handled(fake, fake.push_text(CHAT, "It is urgent, my laptop was stolen"))
    await in_topic(fake, staff_channel, topic, "/take")
    await staff_of(staff_channel).settled()
    conversation = await store.get_conversation(conversation_id)
    assert (
        topic_texts(fake, topic)[-1],
        list(fake.topics),
        await store.telegram_topic(conversation_id),
        (conversation.state, conversation.team),
    ) == (LEFT_FOR_HIDDEN_TEAM, [topic], None, (ConversationState.QUEUED, "security"))


async def test_only_registered_agents_can_act(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take", user_id=STRANGER_TG)
    conversation = await store.get_conversation(await conversation_of(store, topic))
    assert conversation.state is ConversationState.QUEUED


async def test_done_resolves_and_renames_the_topic(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "/done")
    conversation = await store.get_conversation(await conversation_of(store, topic))
    assert (conversation.closed_at is not None, fake.topics[topic]) == (True, "[Resolved] Ada")


async def test_back_puts_it_in_the_queue_again(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "/back")
    assert fake.topics[topic] == "[Waiting] Ada"


async def test_transfer_to_a_colleague_by_login(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    agents: tuple[int, int],
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "/transfer jonas")
    conversation = await store.get_conversation(await conversation_of(store, topic))
    assert (conversation.owner_agent_id, fake.topics[topic]) == (agents[1], "[With Jonas] Ada")


async def test_transfer_to_a_team_queues_it_there(
    fake: FakeBotApi, staff_channel: TelegramChannel, store: SqlStore
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "/transfer team:accounts")
    conversation = await store.get_conversation(await conversation_of(store, topic))
    assert (conversation.state, conversation.team) == (ConversationState.QUEUED, "accounts")


async def test_transfer_to_an_unknown_team_is_refused_in_the_topic(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await in_topic(fake, staff_channel, topic, "/transfer team:nowhere")
    assert topic_texts(fake, topic)[-1] == (
        "There is no team 'nowhere'. The teams are: accounts, it-support, security."
    )


async def test_a_deleted_topic_is_opened_again_with_the_card_and_transcript(
    fake: FakeBotApi, staff_channel: TelegramChannel
) -> None:
    topic = await handed_off(fake, staff_channel)
    fake.fail("sendMessage", 400, "Bad Request: message thread not found", chat_id=STAFF)
    await handled(fake, fake.push_text(CHAT, "Anyone there?"))
    await staff_of(staff_channel).settled()
    reopened = [t for t in fake.topics if t != topic]
    card = topic_texts(fake, reopened[0])[0]
    assert (len(reopened), "Why:" in card, "Customer: Anyone there?" in card) == (1, True, True)


# Maria's commands before the refused one; then who writes what, and what the topic says.
REFUSED = [
    ("resolved", ["/take", "/done"], MARIA_TG, "/back", REFUSALS[Refusal.CLOSED]),
    ("resolved", ["/take", "/done"], MARIA_TG, "/take", REFUSALS[Refusal.CLOSED]),
    ("resolved", ["/take", "/done"], MARIA_TG, "Hello", REFUSALS[Refusal.CLOSED]),
    ("queued", [], MARIA_TG, "/done", REFUSALS[Refusal.IN_THE_QUEUE]),
    ("queued", [], MARIA_TG, "Hello", REFUSALS[Refusal.IN_THE_QUEUE]),
    ("released", ["/take", "/back"], MARIA_TG, "/transfer jonas", REFUSALS[Refusal.IN_THE_QUEUE]),
    ("maria's", ["/take"], JONAS_TG, "/done", REFUSALS[Refusal.NOT_YOURS]),
    ("maria's", ["/take"], JONAS_TG, "/back", REFUSALS[Refusal.NOT_YOURS]),
    ("maria's", ["/take"], JONAS_TG, "Hello", REFUSALS[Refusal.NOT_YOURS]),
    ("maria's", ["/take"], JONAS_TG, "/take", TAKEN_BY.format(name="Maria")),
    ("maria's", ["/take"], MARIA_TG, "/take", YOURS_ALREADY),
]


@pytest.mark.parametrize(
    ("before", "user_id", "command", "told"),
    [pytest.param(*case[1:], id=f"{case[3]} {case[0]} by {case[2]}") for case in REFUSED],
)
async def test_a_refused_command_says_what_happened_in_a_sentence(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    agents: tuple[int, int],
    before: list[str],
    user_id: int,
    command: str,
    told: str,
) -> None:
    await store.set_agent_telegram_user(agents[1], JONAS_TG)
    topic = await handed_off(fake, staff_channel)
    for move in before:
        await in_topic(fake, staff_channel, topic, move)
    await in_topic(fake, staff_channel, topic, command, user_id=user_id)
    assert topic_texts(fake, topic)[-1] == told


async def test_a_command_on_a_conversation_handed_back_says_the_bot_has_it(
    fake: FakeBotApi,
    staff_channel: TelegramChannel,
    store: SqlStore,
    runtime: Runtime,
    agents: tuple[int, int],
) -> None:
    topic = await handed_off(fake, staff_channel)
    await in_topic(fake, staff_channel, topic, "/take")
    await runtime.hand_back(await conversation_of(store, topic), agents[0])  # from the console
    await in_topic(fake, staff_channel, topic, "/done")
    assert topic_texts(fake, topic)[-1] == REFUSALS[Refusal.WITH_THE_BOT]
