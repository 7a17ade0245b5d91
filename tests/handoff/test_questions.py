"""The customer's questions, what the bot did with each, and which one a handoff is about."""

from __future__ import annotations

from typing import Any

import pytest

from handoff.model import Message, SenderKind
from handoff.questions import STATED_WITH_THE_ASK, BotDid, Question, questions_of, unresolved
from tests.handoff.desk_samples import message

VPN = {"kind": "answer", "article_id": "vpn-connect", "team": "it-support"}
STOLEN = {"kind": "answer", "article_id": "lost-device", "team": "security", "handoff": True}
UNSURE = {"kind": "fallback", "best_article_id": None}
CLARIFY = {"kind": "clarify", "candidates": [{"article_id": "password-reset", "score": 0.4}]}
PASSWORD = {"kind": "answer", "article_id": "password-reset", "team": "accounts"}
HANDOFF = {"kind": "handoff"}
HANDOFF_OF_STATED = {"kind": "handoff", STATED_WITH_THE_ASK: True}


def talk(*turns: tuple[str, str, dict[str, Any] | None]) -> list[Message]:
    """(who, text, meta) turns: who is "c" (customer, meta is the payload's) or "b" (bot)."""
    said = []
    for seq, (who, text, meta) in enumerate(turns, start=1):
        if who == "c":
            said.append(message(seq, SenderKind.CUSTOMER, text, meta=meta or {}))
        else:
            said.append(message(seq, SenderKind.BOT, text, meta=meta or {}))
    return said


NO = {"payload": "/helpful no"}
YES = {"payload": "/helpful yes"}
HUMAN = {"payload": "/human"}

CONVERSATIONS = [
    (
        "the VPN answer did not help, then off topic: the VPN",
        talk(("c", "vpn is down", None), ("b", "Open Secure Client", VPN),
             ("c", "No", NO), ("c", "what's the weather tomorrow", None),
             ("b", "Not sure", UNSURE), ("c", "talk to a person", HUMAN), ("b", "Passed", HANDOFF)),
        "vpn is down", "it-support",
    ),
    (
        "the VPN answered without a verdict, then off topic: still the VPN",
        talk(("c", "vpn is down", None), ("b", "Open Secure Client", VPN),
             ("c", "what's the weather tomorrow", None), ("b", "Not sure", UNSURE),
             ("c", "can I talk to a person", None), ("b", "Passed", HANDOFF)),
        "vpn is down", "it-support",
    ),
    (
        "the VPN helped, then the printer the bot does not know: the printer",
        talk(("c", "vpn is down", None), ("b", "Open Secure Client", VPN), ("c", "Yes", YES),
             ("c", "the printer jams", None), ("b", "Not sure", UNSURE),
             ("c", "/human", HUMAN), ("b", "Passed", HANDOFF)),
        "the printer jams", None,
    ),
    (
        "an article that always needs a person outranks a later unknown question",
        talk(("c", "my laptop was stolen", None), ("b", "Report it", STOLEN),
             ("c", "and the weather?", None), ("b", "Not sure", UNSURE)),
        "my laptop was stolen", "security",
    ),
    (
        "a clarifying question answered by a chosen article belongs to the question",
        talk(("c", "login trouble", None), ("b", "Did you mean", CLARIFY),
             ("c", "Resetting a password", {"payload": "/article password-reset"}),
             ("b", "Go to password.example.org", PASSWORD), ("c", "No", NO)),
        "login trouble", "accounts",
    ),
    (
        "only a request for a person: no question",
        talk(("c", "/human", HUMAN), ("b", "Passed", HANDOFF)),
        None, None,
    ),
    (
        "only words asking for a person: no question",
        talk(("c", "I want a person", None), ("b", "Passed", HANDOFF)),
        None, None,
    ),
    (
        "a request for a person that says what about: the question",
        talk(("c", "I need a person, my printer is on fire", None),
             ("b", "Passed", HANDOFF_OF_STATED)),
        "I need a person, my printer is on fire", None,
    ),
    (
        "a Danish request for a person that says what about: the question",
        talk(("c", "jeg vil gerne tale med en person, min printer virker ikke", None),
             ("b", "Sendt videre", HANDOFF_OF_STATED)),
        "jeg vil gerne tale med en person, min printer virker ikke", None,
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("transcript", "question", "team"),
    [c[1:] for c in CONVERSATIONS],
    ids=[c[0] for c in CONVERSATIONS],
)
def test_the_handoff_is_about_the_unsolved_question(
    transcript: list[Message], question: str | None, team: str | None
) -> None:
    found = unresolved(questions_of(transcript))
    assert (found and found.text, found and found.team) == (question, team)


def test_every_question_says_what_the_bot_did() -> None:
    transcript = CONVERSATIONS[0][1]
    assert questions_of(transcript) == (
        Question(1, "vpn is down", BotDid.ANSWERED, "vpn-connect", "it-support", helped=False),
        Question(4, "what's the weather tomorrow", BotDid.COULD_NOT_ANSWER),
    )


def test_a_question_stated_with_the_ask_was_not_tried() -> None:
    transcript = talk(
        ("c", "hi", None),
        ("b", "Hi! What can I help you with?", {"kind": "small_talk"}),
        ("c", "I need a person, my printer is on fire", None),
        ("b", "Passed", HANDOFF_OF_STATED),
    )
    assert questions_of(transcript) == (
        Question(3, "I need a person, my printer is on fire", BotDid.NOT_TRIED),
    )
