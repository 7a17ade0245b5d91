"""What a customer hears while waiting for a person or sitting with one, through the
runtime on a real SQLite file, the real rasa-sdk executor and real knowledge."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from bot.dialogue.turns import KnowledgeSnapshot
from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed
from bot.runtime.incoming import IncomingMessage
from bot.runtime.turn import WITH_AGENT_AGAIN_AFTER
from bot.service.composition import KnowledgeHolder, build_runtime
from bot.settings.model import Settings
from handoff.model import ConversationState, Presence, SenderKind
from handoff.store.sql import SqlStore

_counter = iter(range(1, 1_000_000))

VPN = "How do I connect to the VPN?"
WITH_IT_SUPPORT = (
    "Someone from IT support has your conversation and will reply here. "
    "They can see everything you write."
)


def said(text: str, *, sender: str = "alice", payload: str | None = None) -> IncomingMessage:
    return IncomingMessage(
        channel="web",
        sender_id=sender,
        external_id=f"web:{sender}:{next(_counter)}",
        text=text,
        payload=payload,
    )


class Clock:
    """The store's time, moved only by the test."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def timed(
    settings: Settings,
    at_head: Callable[[str], None],
    clock: Clock,
    knowledge_snapshots: Callable[[Settings], KnowledgeSnapshot],
) -> AsyncIterator[Runtime]:
    """A runtime whose store reads the test's clock."""
    at_head(settings.database_url)
    store = await SqlStore.open(settings.database_url, migrate=True, clock=clock)
    knowledge = KnowledgeHolder(knowledge_snapshots(settings))
    built, _ = build_runtime(settings, store, knowledge, ChangeFeed())
    yield built
    await store.close()


async def _assigned(runtime: Runtime, agent: int, *, sender: str = "alice") -> UUID:
    """A VPN conversation handed off and assigned at once to the online ``agent``."""
    await runtime.set_presence(agent, Presence.ONLINE)
    await runtime.handle(said(VPN, sender=sender))
    handled = await runtime.handle(said("can I talk to a person", sender=sender))
    conversation = await runtime.store.get_conversation(handled.conversation.id)
    assert (conversation.state, conversation.owner_agent_id) == (ConversationState.AGENT, agent)
    return conversation.id


# What the assigned agent did before the customer writes "hello?", and what the bot says.
@pytest.mark.parametrize(
    ("did", "kinds"),
    [
        ("nothing", ["with_agent"]),
        ("opened it", []),
        ("replied", []),
        ("left a note", ["with_agent"]),  # the customer never sees a note
    ],
)
async def test_until_the_assigned_agent_joins_the_customer_hears_someone_has_it(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int], did: str, kinds: list[str]
) -> None:
    maria, _ = agents
    conversation_id = await _assigned(runtime, maria)
    if did == "opened it":
        await runtime.join(conversation_id, maria)
    elif did == "replied":
        await runtime.agent_reply(conversation_id, maria, "Looking at it now")
    elif did == "left a note":
        await runtime.add_note(conversation_id, maria, "probably the VPN certificate")

    handled = await runtime.handle(said("hello?"))

    assert handled.conversation.id == conversation_id
    assert [r.meta.get("kind") for r in handled.replies] == kinds
    transcript = await store.transcript(conversation_id)
    assert handled.message.id in {m.id for m in transcript if m.sender is SenderKind.CUSTOMER}


async def test_the_customer_hears_it_in_words_without_buttons(
    runtime: Runtime, agents: tuple[int, int]
) -> None:
    await _assigned(runtime, agents[0])

    (reply,) = (await runtime.handle(said("are you there?"))).replies

    assert (reply.sender, reply.text, reply.buttons) == (SenderKind.BOT, WITH_IT_SUPPORT, ())


async def test_a_danish_customer_hears_it_in_danish(
    runtime: Runtime, agents: tuple[int, int]
) -> None:
    await runtime.set_presence(agents[0], Presence.ONLINE)
    await runtime.handle(said("VPN virker ikke hjemmefra", sender="dora"))
    await runtime.handle(said("kan jeg tale med et menneske", sender="dora"))

    (reply,) = (await runtime.handle(said("er der nogen?", sender="dora"))).replies

    assert reply.text == (
        "En medarbejder fra IT support har din samtale og svarer dig her. "
        "Medarbejderen kan se alt, hvad du skriver."
    )


async def test_a_burst_of_messages_gets_one_reply_and_a_later_one_another(
    timed: Runtime, clock: Clock, agents: tuple[int, int]
) -> None:
    await _assigned(timed, agents[0])
    replies = []
    for text in ("hello?", "are you there?", "my VPN says certificate expired"):
        clock.now += timedelta(seconds=20)
        replies.append([r.meta.get("kind") for r in (await timed.handle(said(text))).replies])
    clock.now += WITH_AGENT_AGAIN_AFTER
    replies.append([r.meta.get("kind") for r in (await timed.handle(said("hello??"))).replies])

    assert replies == [["with_agent"], [], [], ["with_agent"]]


async def test_a_colleague_assigned_after_a_release_is_waited_for_again(
    runtime: Runtime, agents: tuple[int, int]
) -> None:
    maria, jonas = agents
    conversation_id = await _assigned(runtime, maria)
    await runtime.agent_reply(conversation_id, maria, "Looking at it now")
    await runtime.set_presence(jonas, Presence.ONLINE)
    await runtime.release(conversation_id, maria)  # assigned to Jonas, who has not looked

    handled = await runtime.handle(said("hello?"))

    assert [r.text for r in handled.replies] == [WITH_IT_SUPPORT]
