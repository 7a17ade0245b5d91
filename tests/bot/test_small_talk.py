"""Small talk through the runtime: short replies, never a fallback, a handoff step or a gap."""

from __future__ import annotations

import itertools

import pytest

from bot.desk.knowledge_gaps import unanswered_questions
from bot.dialogue.small_talk import SmallTalk, recognise
from bot.runtime.core import Runtime
from bot.runtime.incoming import IncomingMessage
from handoff.model import ConversationState
from handoff.store.sql import SqlStore

_ids = itertools.count()


def said(text: str, *, sender: str = "carol", payload: str | None = None) -> IncomingMessage:
    n = next(_ids)
    return IncomingMessage(
        channel="web", sender_id=sender, external_id=f"talk{n}", text=text, payload=payload
    )


@pytest.mark.parametrize(
    ("text", "kind", "language"),
    [
        ("hi", SmallTalk.GREETING, "en"),
        ("Hello!", SmallTalk.GREETING, "en"),
        ("good morning", SmallTalk.GREETING, "en"),
        ("hej", SmallTalk.GREETING, "da"),
        ("Godmorgen", SmallTalk.GREETING, "da"),
        ("hello?", SmallTalk.PING, "en"),
        ("er der nogen?", SmallTalk.PING, "da"),
        ("test", SmallTalk.PING, None),
        ("thanks!", SmallTalk.THANKS, "en"),
        ("thank you so much", SmallTalk.THANKS, "en"),
        ("tak", SmallTalk.THANKS, "da"),
        ("Tusind tak for hjælpen", SmallTalk.THANKS, "da"),
        ("bye", SmallTalk.GOODBYE, "en"),
        ("farvel", SmallTalk.GOODBYE, "da"),
        ("are you a bot?", SmallTalk.BOT, "en"),
        ("er du et menneske?", SmallTalk.BOT, "da"),
        ("ok", SmallTalk.ACKNOWLEDGE, None),
        ("fint", SmallTalk.ACKNOWLEDGE, "da"),
        ("no thanks", SmallTalk.ACKNOWLEDGE, "en"),
        ("Nej tak!", SmallTalk.ACKNOWLEDGE, "da"),
        ("\U0001f44d", SmallTalk.ACKNOWLEDGE, None),
        ("\U0001f44d\U0001f3fd", SmallTalk.ACKNOWLEDGE, None),  # a skin tone says the same
        ("help", SmallTalk.HELP, "en"),
        ("hjælp", SmallTalk.HELP, "da"),
        ("what can you do?", SmallTalk.HELP, "en"),
        # Questions, even when they start like small talk.
        ("hi, my vpn is down", None, None),
        ("thanks, but the printer still jams", None, None),
        ("hjælp min vpn virker ikke", None, None),
        ("vpn virker ikke", None, None),
        ("ok so how do I reset my password", None, None),
    ],
)
def test_small_talk_is_recognised_only_as_a_whole_message(
    text: str, kind: SmallTalk | None, language: str | None
) -> None:
    found = recognise(text)

    got = (found.kind, found.language) if found else (None, None)
    assert got == (kind, language)


# One conversation: (customer writes, kind of the bot's reply, words the reply contains).
CONVERSATION = [
    ("hi", "small_talk", "What can I help you with"),
    ("hello?", "small_talk", "I'm here"),
    ("test", "small_talk", "I'm here"),
    ("ok", "small_talk", "Okay"),
    ("\U0001f44d", "small_talk", "Okay"),
    ("are you a bot?", "small_talk", "Helpline bot"),
    ("help", "small_talk", "talk to a person"),
    ("How do I connect to the VPN?", "answer", "vpn.example.org"),
    ("thanks!", "small_talk", "You're welcome"),
    ("bye", "small_talk", "Goodbye"),
]


async def test_a_conversation_of_small_talk_never_falls_back_or_hands_off(
    runtime: Runtime, store: SqlStore
) -> None:
    replies = []
    for text, _, _ in CONVERSATION:
        handled = await runtime.handle(said(text))
        replies.append(handled.replies[-1])

    got = [
        (r.meta["kind"], words in r.text)
        for r, (_, _, words) in zip(replies, CONVERSATION, strict=True)
    ]
    assert got == [(kind, True) for _, kind, _ in CONVERSATION]
    conversation = await store.get_conversation(handled.conversation.id)
    assert conversation.state is ConversationState.BOT
    assert unanswered_questions(await store.unanswered_messages()) == []


async def test_help_says_how_to_reach_a_person_and_offers_the_button(runtime: Runtime) -> None:
    (reply,) = (await runtime.handle(said("hjælp", sender="dora"))).replies

    assert "medarbejder" in reply.text
    assert [b.payload for b in reply.buttons] == ["/human"]


@pytest.mark.parametrize(
    ("greeting", "words"), [("hej", "Hvad kan jeg hjælpe med"), ("tak", "Selv tak")]
)
async def test_danish_small_talk_is_answered_in_danish(
    runtime: Runtime, greeting: str, words: str
) -> None:
    (reply,) = (await runtime.handle(said(greeting, sender=f"da-{greeting}"))).replies

    assert words in reply.text


@pytest.mark.parametrize(
    ("hello", "first", "reply"),
    [
        (None, "\U0001f44d", "Okay. What can I help you with?"),
        ("hi", "ok", "Okay. What can I help you with?"),
        ("hi", "thanks", "You're welcome! What can I help you with?"),
        ("hej", "okay", "Okay. Hvad kan jeg hjælpe med?"),
        ("hej", "tak", "Selv tak! Hvad kan jeg hjælpe med?"),
    ],
)
async def test_before_anything_was_asked_thanks_and_ok_speak_of_no_earlier_help(
    runtime: Runtime, hello: str | None, first: str, reply: str
) -> None:
    sender = f"first-{hello}-{first}"
    if hello is not None:
        await runtime.handle(said(hello, sender=sender))

    (answered,) = (await runtime.handle(said(first, sender=sender))).replies

    assert answered.text == reply


async def test_after_an_answer_ok_says_ask_me_anything_else(runtime: Runtime) -> None:
    await runtime.handle(said("How do I connect to the VPN?", sender="hans"))
    await runtime.handle(said("no thanks", sender="hans"))  # declines the offer: no verdict

    (reply,) = (await runtime.handle(said("ok", sender="hans"))).replies

    assert reply.text == "Okay. Ask me anything else any time."


async def test_thanks_right_after_an_answer_counts_as_that_answer_helping(
    runtime: Runtime, store: SqlStore
) -> None:
    answered = await runtime.handle(said("I forgot my password", sender="erik"))
    await runtime.handle(said("thank you", sender="erik"))

    (feedback,) = await store.feedback(answered.conversation.id)
    assert (feedback.helpful, feedback.message_id) == (True, answered.replies[-1].id)


async def test_thanks_without_an_answer_before_it_is_no_feedback(
    runtime: Runtime, store: SqlStore
) -> None:
    handled = await runtime.handle(said("tak", sender="frida"))

    assert await store.feedback(handled.conversation.id) == []


async def test_small_talk_between_fallbacks_does_not_count_towards_a_handoff(
    runtime: Runtime, store: SqlStore
) -> None:
    # Two fallbacks in a row hand over (the default); small talk in between neither counts
    # as one nor resets the count.
    first = await runtime.handle(said("what is the capital of Mongolia", sender="gus"))
    await runtime.handle(said("hello?", sender="gus"))
    await runtime.handle(said("ok", sender="gus"))
    assert first.replies[-1].meta["kind"] == "fallback"
    conversation = await store.get_conversation(first.conversation.id)
    assert conversation.state is ConversationState.BOT

    second = await runtime.handle(said("who won the football world cup in 1954", sender="gus"))

    assert second.replies[0].meta["kind"] == "fallback"
    conversation = await store.get_conversation(first.conversation.id)
    assert conversation.state is ConversationState.QUEUED
    asked = [m.text for m in unanswered_questions(await store.unanswered_messages())]
    assert asked == ["what is the capital of Mongolia", "who won the football world cup in 1954"]
