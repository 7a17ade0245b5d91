"""What a customer hears while waiting for a person or sitting with one, through the
runtime on a real SQLite file, the real rasa-sdk executor and real knowledge."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

import pytest

from bot.dialogue.turns import KnowledgeSnapshot
from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed
from bot.runtime.turn import WITH_AGENT_AGAIN_AFTER
from bot.service.composition import KnowledgeHolder, build_runtime
from bot.settings.model import HandoffPolicy, Settings
from handoff.model import ConversationState, Presence, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.customers import runtime_with, said

VPN = "How do I connect to the VPN?"
WITH_IT_SUPPORT = (
    "Someone from IT support has your conversation and will reply here. "
    "They can see everything you write."
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


async def _queued(runtime: Runtime, ask: str = "can I talk to a person", *, sender: str) -> UUID:
    """A conversation handed off with nobody online: it waits in the queue."""
    handled = await runtime.handle(said(ask, sender=sender))
    conversation = await runtime.store.get_conversation(handled.conversation.id)
    assert conversation.state is ConversationState.QUEUED
    return conversation.id


# In the queue, small talk gets a short line that fits it: (customer writes, bot replies).
QUEUED_SMALL_TALK = [
    ("thanks", "You're welcome! A person will reply here."),
    ("ok", "Okay. A person will reply here as soon as they can."),
    ("hello?", "Yes, I'm here. You are number 1 in the queue, and a person will reply here."),
    ("hi", "Hi! You are number 1 in the queue, and a person will reply here."),
    (
        "help",
        "You are in the queue, and a person will reply here; anything you write is added to "
        "your conversation. Meanwhile you can ask me a question in your own words.",
    ),
    (
        "are you a bot?",
        "I'm the Helpline bot. You are in the queue for a person, who will reply here; "
        "meanwhile I can answer questions from our help articles.",
    ),
    (
        "bye",
        "Goodbye! You keep your place in the queue, and the reply will be waiting here when "
        "you come back.",
    ),
]
QUEUED_SMALL_TALK_DA = [
    ("tak", "Selv tak! En medarbejder svarer her."),
    ("okay", "Okay. En medarbejder svarer her så hurtigt som muligt."),
    ("er du der?", "Ja, jeg er her. Du er nummer 1 i køen, og en medarbejder svarer her."),
    ("hej", "Hej! Du er nummer 1 i køen, og en medarbejder svarer her."),
    (
        "hjælp",
        "Du er i køen, og en medarbejder svarer her; det du skriver, bliver føjet til din "
        "samtale. Imens kan du stille mig et spørgsmål med dine egne ord.",
    ),
    (
        "er du en bot",
        "Jeg er Helpline-botten. Du er i køen til en medarbejder, som svarer her; imens kan "
        "jeg svare på spørgsmål ud fra vores hjælpeartikler.",
    ),
    (
        "farvel",
        "Farvel! Du beholder din plads i køen, og svaret venter her, når du kommer tilbage.",
    ),
]


@pytest.mark.parametrize(
    ("ask", "talk"),
    [
        ("can I talk to a person", QUEUED_SMALL_TALK),
        ("kan jeg tale med et menneske", QUEUED_SMALL_TALK_DA),
    ],
    ids=["en", "da"],
)
async def test_small_talk_in_the_queue_gets_a_short_line_that_fits_it(
    runtime: Runtime, store: SqlStore, on_shift: int, ask: str, talk: list[tuple[str, str]]
) -> None:
    conversation_id = await _queued(runtime, ask, sender="carl")
    got = []
    for text, _ in talk:
        (reply,) = (await runtime.handle(said(text, sender="carl"))).replies
        got.append((text, reply.meta["kind"], reply.text, reply.buttons))

    assert got == [(text, "small_talk", line, ()) for text, line in talk]
    assert len(await store.handoffs(conversation_id)) == 1
    conversation = await store.get_conversation(conversation_id)
    assert conversation.state is ConversationState.QUEUED


NOBODY = (
    "Nobody from the team is available at the moment; you will get a message here when "
    "someone picks up your conversation."
)
NOBODY_DA = (
    "Der er ingen ledige medarbejdere lige nu; du får en besked her, når en medarbejder "
    "tager din samtale."
)
# With nobody online nothing promises "a person will reply here": each line says why not.
QUEUED_SMALL_TALK_NOBODY = [
    ("thanks", f"You're welcome! {NOBODY}"),
    ("ok", f"Okay. {NOBODY}"),
    ("is anyone there?", f"The Helpline bot is here. You are number 1 in the queue. {NOBODY}"),
    ("hello", f"Hi! You are number 1 in the queue. {NOBODY}"),
    (
        "are you a bot?",
        "I'm the Helpline bot. You are in the queue for a person; meanwhile I can answer "
        f"questions from our help articles. {NOBODY}",
    ),
]
QUEUED_SMALL_TALK_NOBODY_DA = [
    ("tak", f"Selv tak! {NOBODY_DA}"),
    ("er der nogen?", f"Helpline-botten er her. Du er nummer 1 i køen. {NOBODY_DA}"),
    (
        "hjælp",
        "Du er i køen; det du skriver, bliver føjet til din samtale. Imens kan du stille mig "
        f"et spørgsmål med dine egne ord. {NOBODY_DA}",
    ),
    (
        "farvel",
        "Farvel! Du beholder din plads i køen, og svaret venter her, når du kommer tilbage. "
        f"{NOBODY_DA}",
    ),
]


@pytest.mark.parametrize(
    ("ask", "talk"),
    [
        ("can I talk to a person", QUEUED_SMALL_TALK_NOBODY),
        ("kan jeg tale med et menneske", QUEUED_SMALL_TALK_NOBODY_DA),
    ],
    ids=["en", "da"],
)
async def test_with_nobody_online_small_talk_in_the_queue_promises_no_reply_soon(
    runtime: Runtime, ask: str, talk: list[tuple[str, str]]
) -> None:
    await _queued(runtime, ask, sender="nina")
    got = []
    for text, _ in talk:
        (reply,) = (await runtime.handle(said(text, sender="nina"))).replies
        got.append((text, reply.text))

    assert got == talk


@pytest.mark.parametrize(
    ("ask", "questions", "lines"),
    [
        (
            "can I talk to a person",
            ("what is the capital of Mongolia", "and of Peru"),
            [
                f"You are still in the queue (number 1). Anything you write now is added to your "
                f"conversation. {NOBODY}",
                "Added to your conversation. You are still number 1 in the queue. Nobody from "
                "the team is available yet.",
            ],
        ),
        (
            "kan jeg tale med et menneske",
            ("hvad er hovedstaden i Mongoliet", "og i Peru"),
            [
                "Du er stadig i køen (nummer 1). Det du skriver nu, bliver føjet til din samtale. "
                f"{NOBODY_DA}",
                "Det er føjet til din samtale. Du er stadig nummer 1 i køen. Der er stadig "
                "ingen ledige medarbejdere.",
            ],
        ),
    ],
    ids=["en", "da"],
)
async def test_with_nobody_online_the_queue_sentence_says_so(
    runtime: Runtime, ask: str, questions: tuple[str, str], lines: list[str]
) -> None:
    await _queued(runtime, ask, sender="otto")
    texts = []
    for text in questions:
        (reply,) = (await runtime.handle(said(text, sender="otto"))).replies
        texts.append(reply.text)

    assert texts == lines


@pytest.mark.parametrize(
    ("press", "line"),
    [
        (
            ("Yes, that helped", "/helpful yes"),
            f"Glad it helped! You keep your place in the queue. {NOBODY}",
        ),
        (
            ("No, it did not help", "/helpful no"),
            f"Sorry that did not help. You are number 1 in the queue. {NOBODY}",
        ),
    ],
)
async def test_with_nobody_online_did_this_help_in_the_queue_says_so(
    runtime: Runtime, press: tuple[str, str], line: str
) -> None:
    await _queued(runtime, sender="pia")
    await runtime.handle(said(VPN, sender="pia"))
    text, payload = press

    (reply,) = (await runtime.handle(said(text, sender="pia", payload=payload))).replies

    assert reply.text == line


async def test_once_someone_comes_online_the_queue_promises_a_reply_again(
    runtime: Runtime, store: SqlStore
) -> None:
    await _queued(runtime, sender="ulla")
    rolfs = await _queued(runtime, sender="rolf")
    sam = await store.add_agent(login="sam", name="Sam", password_hash="x", capacity=1)
    await runtime.set_presence(sam.id, Presence.ONLINE)  # takes Ulla's, first in line
    assert (await store.get_conversation(rolfs)).state is ConversationState.QUEUED

    (reply,) = (await runtime.handle(said("hello?", sender="rolf"))).replies

    assert (
        reply.text == "Yes, I'm here. You are number 1 in the queue, and a person will reply here."
    )


@pytest.mark.parametrize(
    ("ask", "unknown", "full", "short"),
    [
        (
            "can I talk to a person",
            ["what is the capital of Mongolia", "and the capital of Peru", "and of Chile"],
            "You are still in the queue (number 1); a person will reply here. "
            "Anything you write now is added to your conversation.",
            "Added to your conversation. You are still number 1 in the queue.",
        ),
        (
            "kan jeg tale med et menneske",
            ["hvad er hovedstaden i Mongoliet", "og i Peru", "og i Chile"],
            "Du er stadig i køen (nummer 1); en medarbejder svarer her. "
            "Det du skriver nu, bliver føjet til din samtale.",
            "Det er føjet til din samtale. Du er stadig nummer 1 i køen.",
        ),
    ],
    ids=["en", "da"],
)
async def test_the_queue_sentence_is_said_in_full_once_then_short(
    runtime: Runtime, on_shift: int, ask: str, unknown: list[str], full: str, short: str
) -> None:
    await _queued(runtime, ask, sender="erik")
    texts = []
    for i, text in enumerate(unknown):
        if i == 1:  # small talk between does not make the full sentence come again
            await runtime.handle(said("ok", sender="erik"))
        (reply,) = (await runtime.handle(said(text, sender="erik"))).replies
        texts.append((reply.meta["kind"], reply.text))

    assert texts == [("still_queued", full), ("still_queued", short), ("still_queued", short)]


async def test_back_in_the_queue_the_sentence_is_said_in_full_again(
    runtime: Runtime, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    conversation_id = await _queued(runtime, sender="erik")
    await runtime.handle(said("what is the capital of Mongolia", sender="erik"))
    await runtime.claim(conversation_id, maria)
    await runtime.release(conversation_id, maria)

    (reply,) = (await runtime.handle(said("and the capital of Peru", sender="erik"))).replies

    assert reply.text.startswith("You are still in the queue (number 1)")


STOLEN = "my work laptop was stolen yesterday"
HELPFUL = ["/helpful yes", "/helpful no"]


@pytest.mark.parametrize(
    ("article_handoff", "state", "buttons"),
    [
        ("hand_off", ConversationState.QUEUED, HELPFUL),  # the handoff is the next line
        ("offer", ConversationState.BOT, [*HELPFUL, "/human"]),  # offered, not handed over
    ],
)
async def test_a_person_is_offered_under_an_answer_only_when_none_is_coming(
    settings: Settings,
    store: SqlStore,
    article_handoff: Literal["hand_off", "offer"],
    state: ConversationState,
    buttons: list[str],
) -> None:
    policy = HandoffPolicy(article_handoff=article_handoff)
    runtime = runtime_with(settings, store, handoff=policy)

    handled = await runtime.handle(said(STOLEN))

    conversation = await store.get_conversation(handled.conversation.id)
    answer = handled.replies[0]
    assert (answer.meta["article_id"], [b.payload for b in answer.buttons]) == (
        "lost-device",
        buttons,
    )
    assert conversation.state is state


async def test_an_answer_in_the_queue_offers_no_person(runtime: Runtime) -> None:
    await _queued(runtime, sender="fay")

    handled = await runtime.handle(said(STOLEN, sender="fay"))

    assert [(r.meta["kind"], [b.payload for b in r.buttons]) for r in handled.replies] == [
        ("answer", HELPFUL)
    ]


async def test_an_answer_handing_over_to_an_agent_at_once_offers_no_person(
    runtime: Runtime, store: SqlStore
) -> None:
    sam = await store.add_agent(login="sam", name="Sam", password_hash="x", teams=["security"])
    await runtime.set_presence(sam.id, Presence.ONLINE)

    handled = await runtime.handle(said(STOLEN))

    assert [(r.meta["kind"], [b.payload for b in r.buttons]) for r in handled.replies] == [
        ("answer", HELPFUL),
        ("handoff", []),
    ]
    conversation = await store.get_conversation(handled.conversation.id)
    assert conversation.state is ConversationState.AGENT


@pytest.mark.parametrize(
    ("ask", "question", "press", "line", "helpful"),
    [
        (
            "can I talk to a person",
            VPN,
            ("Yes, that helped", "/helpful yes"),
            "Glad it helped! You keep your place in the queue, and a person will reply here.",
            True,
        ),
        (
            "can I talk to a person",
            VPN,
            ("No, it did not help", "/helpful no"),
            "Sorry that did not help. A person will reply here; you are number 1 in the queue.",
            False,
        ),
        (
            "kan jeg tale med et menneske",
            "Hvordan forbinder jeg til VPN?",
            ("Ja, det hjalp", "/helpful yes"),
            "Godt at det hjalp! Du beholder din plads i køen, og en medarbejder svarer her.",
            True,
        ),
        (
            "kan jeg tale med et menneske",
            "Hvordan forbinder jeg til VPN?",
            ("Nej, det hjalp ikke", "/helpful no"),
            "Ærgerligt at det ikke hjalp. En medarbejder svarer her; du er nummer 1 i køen.",
            False,
        ),
    ],
)
async def test_did_this_help_in_the_queue_is_feedback_and_answered_in_words(
    runtime: Runtime,
    store: SqlStore,
    on_shift: int,
    ask: str,
    question: str,
    press: tuple[str, str],
    line: str,
    helpful: bool,
) -> None:
    conversation_id = await _queued(runtime, ask, sender="gus")
    (answer,) = (await runtime.handle(said(question, sender="gus"))).replies
    text, payload = press

    (reply,) = (await runtime.handle(said(text, sender="gus", payload=payload))).replies

    assert (reply.text, reply.buttons) == (line, ())
    (feedback,) = await store.feedback(conversation_id)
    assert (feedback.message_id, feedback.helpful) == (answer.id, helpful)
    assert len(await store.handoffs(conversation_id)) == 1
