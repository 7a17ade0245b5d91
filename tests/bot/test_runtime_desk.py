"""The runtime's desk half on a real SQLite file, the real rasa-sdk executor and knowledge.

Conversations are tables: what the customer sends, and the kinds of the bot's last replies
and the handoff reason that must follow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from uuid import UUID

import pytest

from bot.runtime.core import Runtime
from bot.settings.model import HandoffPolicy, Routing, Settings
from handoff.card import what_the_bot_did
from handoff.model import ConversationState, Message, Presence, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.customers import handoff_card, runtime_with, said

Turn = tuple[str, str | None]  # (text, button payload)


VPN = "How do I connect to the VPN?"


@pytest.mark.parametrize(
    ("turns", "kinds", "reason"),
    [
        ([(VPN, None)], ["answer"], None),
        ([(VPN, None), ("No, it did not help", "/helpful no")], ["handoff"], "not_helpful"),
        ([(VPN, None), ("Yes, that helped", "/helpful yes")], ["helpful_thanks"], None),
        ([("this bot is useless", None)], ["handoff"], "frustration"),
        ([("Elendig service, det virker ikke", None)], ["handoff"], "frustration"),
        ([("WHY DOES NOTHING WORK HERE", None)], ["handoff"], "frustration"),
        ([(VPN, None), ("how do I connect to the vpn", None)], ["handoff"], "frustration"),
        ([("my laptop was stolen", None)], ["answer", "handoff"], "article_requires_human"),
        ([("/human", "/human")], ["handoff"], "customer_asked"),
        ([("kan jeg tale med et menneske", None)], ["handoff"], "customer_asked"),
    ],
)
async def test_the_default_policy(
    runtime: Runtime,
    store: SqlStore,
    turns: list[Turn],
    kinds: list[str],
    reason: str | None,
) -> None:
    for text, payload in turns:
        handled = await runtime.handle(said(text, payload=payload))
    assert [r.meta.get("kind") for r in handled.replies] == kinds
    handoffs = await store.handoffs(handled.conversation.id)
    assert [h.reason.value for h in handoffs] == ([reason] if reason else [])


@pytest.mark.parametrize(
    ("policy", "turns", "kinds", "reason"),
    [
        (
            HandoffPolicy(always_human_topics=("password-reset",)),
            [("I forgot my password", None)],
            ["answer", "handoff"],
            "always_human_topic",
        ),
        (
            HandoffPolicy(article_handoff="offer"),
            [("my laptop was stolen", None)],
            ["answer"],
            None,
        ),
        (
            HandoffPolicy(not_helpful=False),
            [(VPN, None), ("No", "/helpful no")],
            ["offer_person"],
            None,
        ),
        (HandoffPolicy(words=()), [("this bot is useless", None)], ["fallback"], None),
        (
            HandoffPolicy(fallbacks_in_a_row=1),
            [("what is the capital of Mongolia", None)],
            ["fallback", "handoff"],
            "repeated_fallback",
        ),
    ],
)
async def test_the_policy_table_is_configurable(
    settings: Settings,
    store: SqlStore,
    policy: HandoffPolicy,
    turns: list[Turn],
    kinds: list[str],
    reason: str | None,
) -> None:
    runtime = runtime_with(settings, store, handoff=policy)
    for text, payload in turns:
        handled = await runtime.handle(said(text, payload=payload))
    assert [r.meta.get("kind") for r in handled.replies] == kinds
    handoffs = await store.handoffs(handled.conversation.id)
    assert [h.reason.value for h in handoffs] == ([reason] if reason else [])


async def test_answers_offer_did_this_help_buttons(runtime: Runtime) -> None:
    handled = await runtime.handle(said(VPN))
    assert [b.payload for b in handled.replies[0].buttons] == ["/helpful yes", "/helpful no"]


async def test_did_this_help_is_stored_as_feedback_on_the_answer(
    runtime: Runtime, store: SqlStore
) -> None:
    answered = await runtime.handle(said(VPN))
    await runtime.handle(said("Yes", payload="/helpful yes"))
    (feedback,) = await store.feedback(answered.conversation.id)
    assert (feedback.helpful, feedback.message_id, feedback.agent_id) == (
        True,
        answered.replies[0].id,
        None,
    )


async def test_the_handoff_keeps_the_question_verbatim_and_the_detail(
    runtime: Runtime, store: SqlStore
) -> None:
    await runtime.handle(said("my VPN keeps dropping every 5 minutes"))
    handled = await runtime.handle(said("this is useless"))
    (handoff,) = await store.handoffs(handled.conversation.id)
    # The frustrated words are the detail; the question is the problem the bot answered.
    assert (handoff.summary, handoff.detail) == (
        "my VPN keeps dropping every 5 minutes",
        "words: word 'useless'",
    )


async def test_asking_for_a_person_records_the_earlier_question(
    runtime: Runtime, store: SqlStore
) -> None:
    await runtime.handle(said("my VPN keeps dropping every 5 minutes"))
    handled = await runtime.handle(said("can I talk to a person"))
    (handoff,) = await store.handoffs(handled.conversation.id)
    assert handoff.summary == "my VPN keeps dropping every 5 minutes"


@pytest.mark.parametrize(
    ("first", "payload"),
    [("hi there", None), ("Yes", "/helpful yes")],
    ids=["small talk", "an answer that helped"],
)
async def test_with_no_question_unsolved_the_summary_is_the_request_for_a_person(
    runtime: Runtime, store: SqlStore, first: str, payload: str | None
) -> None:
    if payload is not None:
        await runtime.handle(said("my VPN keeps dropping every 5 minutes"))
    await runtime.handle(said(first, payload=payload))
    handled = await runtime.handle(said("can I talk to a person"))
    (handoff,) = await store.handoffs(handled.conversation.id)
    assert handoff.summary == "can I talk to a person"


@pytest.mark.parametrize(
    ("first", "question", "did"),
    [
        (
            "I need a person, my printer is on fire",
            "I need a person, my printer is on fire",
            ["did not try: asked for a person in the same message"],
        ),
        (
            "jeg vil gerne tale med en person, min printer virker ikke",
            "jeg vil gerne tale med en person, min printer virker ikke",
            ["did not try: asked for a person in the same message"],
        ),
        ("I want a person", None, []),
        ("kan jeg tale med et menneske", None, []),
    ],
    ids=[
        "a problem stated with the ask",
        "the same in Danish",
        "only the ask",
        "only the ask in Danish",
    ],
)
async def test_a_problem_stated_with_the_ask_for_a_person_is_the_cards_question(
    runtime: Runtime, store: SqlStore, first: str, question: str | None, did: list[str]
) -> None:
    handled = await runtime.handle(said(first))
    conversation = await store.get_conversation(handled.conversation.id)
    (handoff,) = await store.handoffs(conversation.id)
    card = await handoff_card(store, conversation.id)
    assert (
        card.question,
        [what_the_bot_did(q) for q in card.questions],
        handoff.summary,
        handoff.reason,
    ) == (question, did, first, "customer_asked")


async def test_the_card_lists_every_question_and_marks_the_unsolved_one(
    runtime: Runtime, store: SqlStore
) -> None:
    await runtime.handle(said("the VPN won't connect when I work from home"))
    await runtime.handle(said("what's the weather tomorrow"))
    handled = await runtime.handle(said("can I talk to a person"))
    card = await handoff_card(store, handled.conversation.id)
    assert (card.question, card.team) == (
        "the VPN won't connect when I work from home",
        "it-support",
    )
    assert [
        (q.text, what_the_bot_did(q), q.message_id == card.handoff_question) for q in card.questions
    ] == [
        ("the VPN won't connect when I work from home", "answered with vpn-connect", True),
        ("what's the weather tomorrow", "could not answer", False),
    ]


async def test_an_agent_who_speaks_the_customers_language_gets_the_handoff(
    runtime: Runtime, store: SqlStore
) -> None:
    for login, languages in (("ann", ("en",)), ("bo", ("da", "en"))):
        agent = await store.add_agent(login=login, name=login.title(), password_hash="x",
                                      teams=["it-support"], languages=languages)  # fmt: skip
        await store.set_presence(agent.id, Presence.ONLINE)
    handled = await runtime.handle(said("VPN virker ikke hjemmefra, kan jeg tale med en person"))
    conversation = await store.get_conversation(handled.conversation.id)
    assert conversation.owner_agent_id is not None
    assert (await store.get_agent(conversation.owner_agent_id)).login == "bo"


async def test_a_language_team_takes_handoffs_without_article_team(
    settings: Settings, store: SqlStore
) -> None:
    runtime = runtime_with(settings, store, routing=Routing(language_teams={"da": "accounts"}))
    handled = await runtime.handle(said("kan jeg tale med et menneske"))
    assert (await store.get_conversation(handled.conversation.id)).team == "accounts"


async def test_an_online_agent_takes_the_handoff_at_once_and_joins_when_looking(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    await runtime.set_presence(maria, Presence.ONLINE)
    await runtime.handle(said(VPN))
    handled = await runtime.handle(said("can I talk to a person"))
    assert [(r.sender, r.meta.get("kind")) for r in handled.replies] == [
        (SenderKind.BOT, "handoff"),
    ]
    conversation = await store.get_conversation(handled.conversation.id)
    assert (conversation.state, conversation.owner_agent_id) == (ConversationState.AGENT, maria)
    joined = await runtime.join(conversation.id, maria)
    assert joined is not None
    assert joined.text == "Maria from IT support has joined the conversation."
    assert await runtime.join(conversation.id, maria) is None  # said once


async def test_an_assigned_agent_joins_before_their_first_reply(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    await runtime.handle(said(VPN))
    handled = await runtime.handle(said("can I talk to a person"))
    await runtime.set_presence(maria, Presence.ONLINE)
    await runtime.agent_reply(handled.conversation.id, maria, "Looking at it now")
    transcript = await store.transcript(handled.conversation.id)
    assert [m.text for m in transcript[-2:]] == [
        "Maria from IT support has joined the conversation.",
        "Looking at it now",
    ]


async def test_only_the_owner_joins(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, jonas = agents
    await runtime.set_presence(maria, Presence.ONLINE)
    handled = await runtime.handle(said("can I talk to a person"))
    assert await runtime.join(handled.conversation.id, jonas) is None


async def test_an_agent_coming_online_takes_the_waiting_customer(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    await runtime.handle(said(VPN))
    handled = await runtime.handle(said("can I talk to a person"))
    await runtime.set_presence(maria, Presence.ONLINE)
    conversation = await store.get_conversation(handled.conversation.id)
    assert conversation.owner_agent_id == maria


async def _with(runtime: Runtime, store: SqlStore, agent: int) -> UUID:
    """A VPN conversation handed off and claimed by ``agent``."""
    await runtime.handle(said(VPN))
    handled = await runtime.handle(said("can I talk to a person"))
    await runtime.claim(handled.conversation.id, agent)
    return handled.conversation.id


async def test_released_goes_to_a_colleague_not_back(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, jonas = agents
    conversation_id = await _with(runtime, store, maria)
    await runtime.set_presence(maria, Presence.ONLINE)
    await runtime.set_presence(jonas, Presence.ONLINE)
    await runtime.release(conversation_id, maria)
    assert (await store.get_conversation(conversation_id)).owner_agent_id == jonas


async def test_transfer_to_a_colleague_names_them_when_they_look(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, jonas = agents
    conversation_id = await _with(runtime, store, maria)
    told = await runtime.transfer_to_agent(conversation_id, maria, jonas)
    assert (told.meta["kind"], told.text) == (
        "transferred_agent",
        "Maria passed your conversation to a colleague, who will reply here.",
    )
    joined = await runtime.join(conversation_id, jonas)
    assert joined is not None
    assert joined.text == "Jonas from IT support has joined the conversation."


async def test_transfer_to_a_team_tells_the_customer_and_queues_there(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    conversation_id = await _with(runtime, store, maria)
    told = await runtime.transfer_to_team(conversation_id, maria, "security")
    assert told.text.startswith("Maria passed your conversation on to Security")
    conversation = await store.get_conversation(conversation_id)
    assert (conversation.state, conversation.team) == (ConversationState.QUEUED, "security")


async def test_hand_back_returns_the_customer_to_the_bot(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    conversation_id = await _with(runtime, store, maria)
    await runtime.hand_back(conversation_id, maria)
    handled = await runtime.handle(said("I forgot my password"))
    assert handled.conversation.id == conversation_id
    assert [r.meta.get("kind") for r in handled.replies] == ["answer"]


# What Maria or the customer writes after Maria claimed the conversation.
Step = Callable[[Runtime, UUID, int], Awaitable[object]]


def maria_writes(text: str) -> Step:
    async def step(runtime: Runtime, conversation_id: UUID, maria: int) -> None:
        await runtime.agent_reply(conversation_id, maria, text)

    return step


def customer_writes(text: str) -> Step:
    async def step(runtime: Runtime, conversation_id: UUID, maria: int) -> None:
        await runtime.handle(said(text))

    return step


ASK_EN = (VPN, "can I talk to a person")
ASK_DA = ("VPN virker ikke hjemmefra", "kan jeg tale med et menneske")
BACK_EN = "You are back with the bot. Ask me anything, or ask for a person."
BACK_DA = "Du er tilbage hos botten. Spørg mig om noget, eller bed om en medarbejder."
TAKEN_UP_EN = "You are back with the bot. About your last question:"
TAKEN_UP_DA = "Du er tilbage hos botten. Om dit seneste spørgsmål:"
PASSWORD_EN = "Go to https://password.example.org and choose **Forgot password**."
PASSWORD_DA = "Gå til https://password.example.org og vælg **Glemt adgangskode**."


async def _handed_back(
    runtime: Runtime, store: SqlStore, maria: int, ask: tuple[str, ...], steps: list[Step]
) -> tuple[UUID, list[Message]]:
    """Ask for a person, Maria claims, the ``steps``, Maria hands back: the conversation
    and what was said from the hand back on."""
    for text in ask:
        handled = await runtime.handle(said(text))
    conversation_id = handled.conversation.id
    await runtime.claim(conversation_id, maria)
    for step in steps:
        await step(runtime, conversation_id, maria)
    before = (await store.get_conversation(conversation_id)).last_seq
    await runtime.hand_back(conversation_id, maria)
    return conversation_id, await store.transcript(conversation_id, after_seq=before)


@pytest.mark.parametrize(
    ("ask", "steps", "told"),
    [
        (
            ASK_EN,
            [maria_writes("Try restarting the client"),
             customer_writes("also, how do I reset my password?")],
            [TAKEN_UP_EN, PASSWORD_EN],
        ),
        (
            ASK_DA,
            [maria_writes("Prøv at genstarte klienten"),
             customer_writes("hvordan nulstiller jeg min adgangskode?")],
            [TAKEN_UP_DA, PASSWORD_DA],
        ),
        (ASK_EN, [customer_writes("also, how do I reset my password?")],
         [TAKEN_UP_EN, PASSWORD_EN]),
        (ASK_DA, [customer_writes("hvordan nulstiller jeg min adgangskode?")],
         [TAKEN_UP_DA, PASSWORD_DA]),
        (
            ASK_EN,
            [customer_writes("also, how do I reset my password?"), customer_writes("hello?")],
            [TAKEN_UP_EN, PASSWORD_EN],
        ),
        (ASK_EN, [], [BACK_EN]),
        (ASK_DA, [], [BACK_DA]),
        (ASK_EN, [maria_writes("Try restarting the client")], [BACK_EN]),
        (ASK_DA, [maria_writes("Prøv at genstarte klienten")], [BACK_DA]),
        (
            ASK_EN,
            [customer_writes("also, how do I reset my password?"),
             maria_writes("Go to password.example.org")],
            [BACK_EN],
        ),
        (
            ASK_DA,
            [customer_writes("hvordan nulstiller jeg min adgangskode?"),
             maria_writes("Gå til password.example.org")],
            [BACK_DA],
        ),
        (
            ASK_EN,
            [maria_writes("Try restarting the client"), customer_writes("thanks!")],
            [BACK_EN],
        ),
        (
            ASK_EN,
            [maria_writes("Try restarting the client"),
             customer_writes("can I talk to someone else")],
            [BACK_EN],
        ),
        (
            ASK_EN,
            [maria_writes("Did you restart the client?"), customer_writes("no")],
            [BACK_EN],
        ),
        (
            ASK_EN,
            [maria_writes("Did you restart the client?"), customer_writes("I restarted it")],
            [BACK_EN],
        ),
        (
            ASK_DA,
            [maria_writes("Har du genstartet klienten?"), customer_writes("ja")],
            [BACK_DA],
        ),
        (ASK_EN, [customer_writes("what is the capital of Mongolia")], [BACK_EN]),
    ],
    ids=[
        "asked after the agent's reply",
        "asked after the agent's reply, in Danish",
        "asked, the agent never replied",
        "asked, the agent never replied, in Danish",
        "asked, then small talk",
        "nothing written",
        "nothing written, in Danish",
        "the agent replied last",
        "the agent replied last, in Danish",
        "the agent answered the question",
        "the agent answered the question, in Danish",
        "only thanks after the reply",
        "only a request for a person after the reply",
        "a no to the agent's question",
        "an answer to the agent's question",
        "a yes to the agent's question, in Danish",
        "a question the knowledge has no sure answer to",
    ],
)  # fmt: skip
async def test_hand_back_answers_the_question_nobody_answered(
    runtime: Runtime,
    store: SqlStore,
    agents: tuple[int, int],
    ask: tuple[str, ...],
    steps: list[Step],
    told: list[str],
) -> None:
    maria, _ = agents
    _, after = await _handed_back(runtime, store, maria, ask, steps)
    assert [m.text for m in after] == told


async def test_the_answer_after_hand_back_replies_to_the_question(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    question = "also, how do I reset my password?"
    conversation_id, after = await _handed_back(
        runtime, store, maria, ASK_EN, [customer_writes(question)]
    )
    (asked,) = [m for m in await store.transcript(conversation_id) if m.text == question]
    assert [(m.sender, m.meta.get("kind"), m.agent_id, m.reply_to) for m in after] == [
        (SenderKind.SYSTEM, "handed_back", maria, None),
        (SenderKind.BOT, "answer", None, asked.id),
    ]


@pytest.mark.parametrize(
    ("policy", "question", "kind", "buttons"),
    [
        (
            HandoffPolicy(always_human_topics=("password-reset",)),
            "also, how do I reset my password?",
            "answer",
            ["/helpful yes", "/helpful no"],
        ),
        (
            HandoffPolicy(),
            "my laptop was stolen",
            "answer",
            ["/helpful yes", "/helpful no", "/human"],
        ),
    ],
    ids=["an always-human topic", "an article that needs a person"],
)
async def test_the_question_taken_up_is_never_handed_over_again_unasked(
    settings: Settings,
    store: SqlStore,
    agents: tuple[int, int],
    policy: HandoffPolicy,
    question: str,
    kind: str,
    buttons: list[str],
) -> None:
    """The agent just gave the conversation to the bot: it answers, and a person is one
    button away, but it does not queue the customer again by itself (a question it has no
    sure answer to is not taken up: the plain hand back)."""
    runtime = runtime_with(settings, store, handoff=policy)
    maria, _ = agents
    conversation_id, after = await _handed_back(
        runtime, store, maria, ASK_EN, [customer_writes(question)]
    )
    conversation = await store.get_conversation(conversation_id)
    assert (
        [(m.meta.get("kind"), [b.payload for b in m.buttons]) for m in after],
        conversation.state,
        len(await store.handoffs(conversation_id)),
    ) == ([("handed_back", []), (kind, buttons)], ConversationState.BOT, 1)


async def test_a_rating_after_resolve_is_credited_to_the_agent(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    conversation_id = await _with(runtime, store, maria)
    await runtime.resolve(conversation_id, maria)
    question = (await store.transcript(conversation_id))[-1]
    assert [b.payload for b in question.buttons] == [f"/rate {n}" for n in range(1, 6)]
    handled = await runtime.handle(said("4", payload="/rate 4"))
    assert handled.conversation.id == conversation_id  # filed where it was asked
    assert [r.meta.get("kind") for r in handled.replies] == ["rating_thanks"]
    (rating,) = [f for f in await store.feedback(conversation_id) if f.rating is not None]
    assert (rating.rating, rating.agent_id) == (4, maria)


async def test_a_second_rating_is_not_counted_twice(
    runtime: Runtime, store: SqlStore, agents: tuple[int, int]
) -> None:
    maria, _ = agents
    conversation_id = await _with(runtime, store, maria)
    await runtime.resolve(conversation_id, maria)
    await runtime.handle(said("4", payload="/rate 4"))
    await runtime.handle(said("1", payload="/rate 1"))
    ratings = [f.rating for f in await store.feedback(conversation_id) if f.rating is not None]
    assert ratings == [4]


async def test_a_conversation_the_bot_handled_credits_the_bot(
    runtime: Runtime, store: SqlStore
) -> None:
    answered = await runtime.handle(said(VPN))
    await runtime.ask_satisfaction(answered.conversation.id, agent_id=None)
    await runtime.handle(said("5", payload="/rate 5"))
    (rating,) = await store.feedback(answered.conversation.id)
    assert (rating.rating, rating.agent_id) == (5, None)
