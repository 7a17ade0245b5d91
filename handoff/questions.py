"""The customer's questions in a conversation, what the bot did with each, and which one is
still unsolved. Pure: read from the transcript.

A question is a message the customer typed that the bot tried to answer: it replied with an
article (``answer``), asked back (``clarify``) or said it could not answer (``fallback``).
Messages the bot did not try to answer (a request for a person, a button press) are not
questions; a chosen article or a "Did this help?" press belongs to the question before it.
One exception: a request for a person that also says what about ("I need a person, my
printer is on fire") is a question the bot handed over without trying (``not_tried``): the
bot's reply that hands it over says so in its meta (:data:`STATED_WITH_THE_ASK`).

Which question the handoff is about (:func:`unresolved`), in this order:

1. the latest one whose answer the customer said did not help;
2. else the latest one answered with an article that always needs a person;
3. else the latest one answered without the customer saying it helped: asking for a person
   after it says it did not solve their problem;
4. else the latest one the bot could not answer, asked back about, or did not try;
5. else none (every answer helped, or nothing was asked).

An answered question outranks later words the bot did not recognise: the knowledge knows
its topic and its team. So a customer who got the VPN answer, then asked about the weather
(which the bot could not answer) and asked for a person, is handed to the VPN article's
team with the VPN question; a customer whose VPN answer helped and who then asked about a
printer the bot did not know is handed over with the printer question.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, replace

from handoff.model import MessageKind, Said, SenderKind
from handoff.payloads import helpful_verdict, is_helpful


class BotDid(enum.StrEnum):
    """What the bot did with a question."""

    ANSWERED = "answered"
    ASKED_BACK = "asked_back"
    COULD_NOT_ANSWER = "could_not_answer"
    NOT_TRIED = "not_tried"  # the same words asked for a person: handed over at once


#: In the meta of the bot's reply that hands over a message asking for a person that also
#: says what about: that message is a question (:attr:`BotDid.NOT_TRIED`).
STATED_WITH_THE_ASK = "question_with_the_ask"


_KINDS = {
    MessageKind.ANSWER: BotDid.ANSWERED,
    MessageKind.CLARIFY: BotDid.ASKED_BACK,
    MessageKind.FALLBACK: BotDid.COULD_NOT_ANSWER,
}


@dataclass(frozen=True, slots=True)
class Question:
    """One question of the customer and what became of it.

    Attributes:
        message_id: the customer's message.
        text: their words, verbatim.
        bot_did: answered, asked back, or could not answer (the last thing it did).
        article_id: the article answered with (ANSWERED only).
        team: that article's team, if it names one.
        helped: the customer's "Did this help?" verdict on the answer, if given.
        needs_person: the article answered with always needs a person to follow up.
    """

    message_id: int
    text: str
    bot_did: BotDid
    article_id: str | None = None
    team: str | None = None
    helped: bool | None = None
    needs_person: bool = False


def questions_of(transcript: Iterable[Said]) -> tuple[Question, ...]:
    """The customer's questions in transcript order, each with what the bot did."""
    found: list[Question] = []
    pending: tuple[int, str] | None = None  # a typed message waiting for the bot's reply
    for message in transcript:
        meta = message.meta
        if message.sender is SenderKind.CUSTOMER:
            payload = meta.get("payload")
            if is_helpful(payload):
                verdict = helpful_verdict(payload)
                if found and found[-1].bot_did is BotDid.ANSWERED and verdict is not None:
                    found[-1] = replace(found[-1], helped=verdict)
                pending = None
            elif payload:
                pending = None  # a chosen article, a command: it belongs to the last question
            else:
                pending = (message.id, message.text)
            continue
        kind = MessageKind.of(meta) if message.sender is SenderKind.BOT else None
        if message.sender is SenderKind.BOT and meta.get(STATED_WITH_THE_ASK) and pending:
            found.append(Question(pending[0], pending[1], BotDid.NOT_TRIED))
            pending = None
            continue
        did = _KINDS.get(kind) if kind is not None else None
        if did is None:
            continue
        answered = did is BotDid.ANSWERED
        team = meta.get("team") if answered else None
        article_id = str(meta.get("article_id")) if answered else None
        needs_person = answered and bool(meta.get("handoff"))
        if pending is not None:
            found.append(
                Question(
                    pending[0],
                    pending[1],
                    did,
                    article_id=article_id,
                    team=team if isinstance(team, str) and team else None,
                    needs_person=needs_person,
                )
            )
            pending = None
        elif found:  # the answer to an article chosen from a clarifying question
            found[-1] = replace(
                found[-1],
                bot_did=did,
                article_id=article_id,
                team=team if isinstance(team, str) and team else None,
                helped=None,
                needs_person=needs_person,
            )
    return tuple(found)


def unresolved(questions: Iterable[Question]) -> Question | None:
    """The question the handoff is about (the rule in the module's docstring)."""
    asked = list(questions)
    rules = (
        lambda q: q.helped is False,
        lambda q: q.needs_person,
        lambda q: q.bot_did is BotDid.ANSWERED and q.helped is None,
        lambda q: q.bot_did is not BotDid.ANSWERED,
    )
    for rule in rules:
        for question in reversed(asked):
            if rule(question):
                return question
    return None
