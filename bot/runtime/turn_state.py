"""One customer turn's own state, and what the recent transcript tells a turn.

:class:`Turn` travels through :class:`bot.runtime.turn.CustomerTurns` and
:class:`bot.runtime.handover.Handover`; only its Rasa slots (:class:`bot.dialogue.turns.Slots`)
go to the actions (:func:`run_action`). The readers below rebuild the dialogue's memory from
the transcript, so that nothing of a conversation lives only in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.dialogue.turns import ActionResult, ActionRunner, Slots, TurnState
from handoff.model import Conversation, Customer, Message, MessageKind, Said, SenderKind

if TYPE_CHECKING:
    from bot.desk.quote import WaitQuote


@dataclass(slots=True)
class Turn:
    """One customer message being answered.

    Attributes:
        customer: who wrote.
        conversation: their conversation as the message was stored.
        message: the stored message.
        payload: the pressed button's or command's payload, if any (a typed verdict's,
            once read: see ``verdict``).
        history: the recent transcript, ending with ``message``.
        language: the language the bot speaks this turn.
        verdict: the customer's answer to "Did this help?", pressed or typed right after
            the answer; stored as feedback on that answer.
        slots: the dialogue's memory the actions read and set.
        question: the question a handoff is about (None when none is unsolved).
        handoff_detail: what triggered the handoff, for the agent.
        assigned: the conversation as assigned to an agent at once by a handoff.
        quote: the desk's figure for this turn, once a handoff read it.
    """

    customer: Customer
    conversation: Conversation
    message: Message
    payload: str | None
    history: Sequence[Said]
    language: str
    verdict: bool | None = None
    slots: Slots = field(default_factory=Slots)
    question: str | None = None
    handoff_detail: str | None = None
    assigned: Conversation | None = None
    quote: WaitQuote | None = None


async def run_action(actions: ActionRunner, action: str, turn: Turn) -> ActionResult:
    """Run one of the bot's actions on the turn's slots."""
    state = TurnState(
        sender_id=str(turn.conversation.id),
        text=turn.message.text,
        slots=turn.slots.as_rasa(),
    )
    return await actions.run(action, state)


#: What the customer is told when their conversation (re)enters the queue.
_QUEUED_KINDS = frozenset(
    {
        MessageKind.HANDOFF,
        MessageKind.RELEASED,
        MessageKind.AGENT_INACTIVE,
        MessageKind.TRANSFERRED_TEAM,
    }
)


#: What ends, read backwards, the customer's messages still waiting for an answer: the
#: bot's handoff (what came before was the bot's part, handed over with it), an answer the
#: bot gave (while queued too), an earlier hand back (it took up what was waiting then).
_ANSWERED_UP_TO = frozenset(
    {
        MessageKind.HANDOFF,
        MessageKind.ANSWER,
        MessageKind.CLARIFY,
        MessageKind.FALLBACK,
        MessageKind.HANDED_BACK,
    }
)


def unanswered_since_people(transcript: Sequence[Message]) -> list[Message]:
    """The customer's messages at the end of ``transcript`` that nobody has answered.

    Those written after the last reply of an agent (an internal note is none), or, when no
    agent replied since the bot handed the conversation over, after the handoff or the
    bot's last answer while the customer waited. Replies that only say a person will answer
    ("you are still in the queue", "someone from IT support has your conversation") answer
    nothing. In transcript order.
    """
    waiting: list[Message] = []
    for message in reversed(transcript):
        if message.sender is SenderKind.CUSTOMER:
            waiting.append(message)
            continue
        replied = message.sender is SenderKind.AGENT and not message.meta.get("internal")
        if replied or MessageKind.of(message.meta) in _ANSWERED_UP_TO:
            break
    waiting.reverse()
    return waiting


def told_still_queued(history: Sequence[Said]) -> bool:
    """Whether the customer heard "you are still in the queue" since they were queued.

    Then it is said short: the full sentence again would repeat what they just read.
    """
    for message in reversed(history):
        kind = MessageKind.of(message.meta)
        if kind is MessageKind.STILL_QUEUED:
            return True
        if kind in _QUEUED_KINDS:
            return False
    return False


#: The bot's lines that answer nothing: a conversation of only these has asked nothing yet.
_OPENING_KINDS = frozenset(
    {MessageKind.GREETING, MessageKind.SMALL_TALK, MessageKind.NOTICE, MessageKind.HELP}
)


def nothing_asked_yet(history: Sequence[Said]) -> bool:
    """Whether the conversation before its latest message (the customer's, ending
    ``history``) holds only greetings, small talk and notices: no answer nor person yet,
    so "ask me anything else" would speak of help never given."""
    return all(
        message.sender is SenderKind.CUSTOMER
        or (message.sender is SenderKind.BOT and MessageKind.of(message.meta) in _OPENING_KINDS)
        for message in history[:-1]
    )


def asked_did_it_help(history: Sequence[Said]) -> bool:
    """Whether the bot's last turn before the latest message (the customer's, ending
    ``history``) answered from the knowledge: its answer asks "Did this help?"."""
    for message in reversed(history[:-1]):
        if message.sender is SenderKind.CUSTOMER:
            return False
        if message.sender is SenderKind.BOT and MessageKind.of(message.meta) is MessageKind.ANSWER:
            return True
    return False


def slots_from(history: Sequence[Said]) -> Slots:
    """Rebuild the dialogue's memory from the transcript, so nothing lives only in RAM."""
    fallbacks = 0
    team: str | None = None
    shown: list[int] = []
    for message in history:
        kind = MessageKind.of(message.meta)
        if message.sender is SenderKind.BOT and kind is MessageKind.FALLBACK:
            fallbacks += 1
        elif message.sender is SenderKind.BOT and kind is MessageKind.ANSWER:
            fallbacks = 0
            team = message.meta.get("team") or team
        elif message.sender is SenderKind.BOT and kind is MessageKind.HANDOFF:
            fallbacks = 0
        if kind is MessageKind.NOTICE and message.meta.get("notice_id") is not None:
            shown.append(int(message.meta["notice_id"]))
    return Slots(fallback_count=fallbacks, article_team=team, notices_shown=shown)
