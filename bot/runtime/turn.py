"""A customer's turn: decide what the bot says to one stored message, and say it.

:class:`CustomerTurns` holds what every turn needs (the store, the actions, the policy, the
desk) and decides; :class:`bot.runtime.handover.Handover` does a turn's handoff;
:class:`bot.runtime.turn_state.Turn` is one turn's own state, typed, of which only the Rasa
slots (:class:`bot.dialogue.turns.Slots`) go to the actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.dialogue.answer_policy import Outcome, asks_for_person, says_more_than_the_ask
from bot.dialogue.frustration import detect
from bot.dialogue.handoff_policy import Trigger, after_answer, before_answer, frustration_rules
from bot.dialogue.phrases import Phrases
from bot.dialogue.small_talk import Recognised, SmallTalk, recognise
from bot.dialogue.turns import ACTION_ANSWER, ACTION_NOTICE, ActionRunner, Slots, Utterance
from bot.dialogue.verdict import recognise as recognise_verdict
from bot.runtime.desk import DeskActions, has_joined
from bot.runtime.feed import DESK, ChangeFeed
from bot.runtime.handover import Handover, stated_with_the_ask
from bot.runtime.outbound import Outbound
from bot.runtime.turn_state import (
    Turn,
    asked_did_it_help,
    nothing_asked_yet,
    run_action,
    slots_from,
    told_still_queued,
    unanswered_since_people,
)
from bot.settings.model import HandoffPolicy
from handoff import attachments, payloads
from handoff.model import (
    Button,
    Conversation,
    ConversationState,
    Customer,
    HandoffReason,
    Message,
    MessageKind,
    Said,
    SenderKind,
    TranscriptLine,
)
from handoff.notices import for_conversation
from handoff.questions import STATED_WITH_THE_ASK, questions_of, unresolved
from handoff.store.port import Store

if TYPE_CHECKING:
    from bot.desk.status import DeskStatus

# How much of the transcript a turn reads back to rebuild the dialogue's memory (fallbacks
# in a row, the team of the last answer, the question to hand over, repeated questions).
# Reading all of it made each turn slower the longer the conversation ran.
HISTORY_WINDOW = 30
# While an assigned agent has not joined yet, "someone from IT support has your conversation"
# answers a customer's message once, then again only to a message this long after it: a
# burst of lines ("hello?", "are you there?", the problem in three parts) gets one reply,
# and a customer who writes again after some minutes of silence is told again that someone
# has it. The inactivity requeue (agent_inactivity_minutes, 10 by default) ends the wait.
WITH_AGENT_AGAIN_AFTER = timedelta(minutes=5)


class CustomerTurns:
    """Decides and sends the bot's replies to customer messages."""

    def __init__(
        self,
        *,
        store: Store,
        actions: ActionRunner,
        phrases: Phrases,
        feed: ChangeFeed,
        outbound: Outbound,
        desk: DeskActions,
        status: DeskStatus,
        handover: Handover,
        policy: HandoffPolicy,
        default_language: str,
        max_message_chars: int,
    ) -> None:
        self._store = store
        self._actions = actions
        self._phrases = phrases
        self._feed = feed
        self._outbound = outbound
        self._desk = desk
        self._status = status
        self._handover = handover
        self._policy = policy
        self._default_language = default_language
        self._max_chars = max_message_chars

    async def respond(
        self,
        customer: Customer,
        conversation: Conversation,
        message: Message,
        payload: str | None,
        history: Sequence[Said],
    ) -> list[Message]:
        """Decide and send the replies to ``message``; ``history`` ends with it."""
        if payload in payloads.COMMANDS:
            return await self._command(customer, conversation, message, payload)
        if conversation.state is ConversationState.AGENT:
            return await self._with_agent(customer, conversation, message)
        # The language of this turn: detected from its text when it could be (the store
        # made that the conversation's language), else the conversation's.
        known = conversation.language
        turn = Turn(
            customer,
            conversation,
            message,
            payload,
            history,
            language=known or self._default_language,
        )
        if message.meta.get(attachments.ONLY_FILES):
            # The bot cannot read a file; it keeps it for a person and says so.
            kind = (
                MessageKind.ATTACHMENT_QUEUED
                if conversation.state is ConversationState.QUEUED
                else MessageKind.ATTACHMENT_KEPT
            )
            return await self._reply(turn, [self.say(kind, turn.language)])
        if len(message.text) > self._max_chars:
            return await self._reply(turn, [self.say(MessageKind.TOO_LONG, turn.language)])
        turn.slots = slots_from(history)
        # Unknown language: the action answers in the language of the best-matching article.
        turn.slots.language = known
        wants_person = payload == payloads.HUMAN or asks_for_person(message.text)
        chat = None if payload is not None or wants_person else recognise(message.text)
        chat = await self._take_verdict(turn, chat, wants_person=wants_person)
        if conversation.state is ConversationState.QUEUED:
            return await self._while_queued(turn, chat, wants_person=wants_person)
        if chat is not None:
            reply = await self._small_talk(turn, chat, known)
            shown = await self._notices(turn) if message.seq == 1 else []
            return await self._reply(turn, [*shown, reply])
        return await self._answer(turn)

    def question_to_take_up(self, transcript: Sequence[Message]) -> Message | None:
        """The question the bot takes up when an agent hands the conversation back.

        The latest of the customer's messages nobody has answered since people took over
        (:func:`bot.runtime.turn_state.unanswered_since_people`) that the bot would search
        the knowledge for: typed words, not a button, not files alone, not too long, not
        small talk (a "thanks" to the agent), not a bare "no" or "yes" (an answer to the
        agent's question) and not a request for a person (the agent handing back has
        answered that).

        Args:
            transcript: the conversation's transcript as the agent hands it back.

        Returns:
            The customer's message, or None when nothing is waiting for an answer.
        """
        for message in reversed(unanswered_since_people(transcript)):
            if (
                message.meta.get("payload") is None
                and not message.meta.get(attachments.ONLY_FILES)
                and len(message.text) <= self._max_chars
                and not asks_for_person(message.text)
                and recognise(message.text) is None
                and recognise_verdict(message.text) is None  # "no", "yes": to the agent
            ):
                return message
        return None

    async def take_up(
        self,
        customer: Customer,
        conversation: Conversation,
        question: Message,
        transcript: Sequence[Message],
    ) -> TakenUp | None:
        """The bot's answer to ``question``, which an agent is handing back; not sent yet.

        Only a sure answer or a "did you mean?" is taken up: "about your last question"
        followed by "I'm not sure I have a good answer" would read as the bot taking the
        question only to drop it (a reply to the agent, "no" or "I restarted it", finds
        none), and the plain hand back says what is true then. Never a handoff: a person
        just gave the conversation to the bot; the answer keeps its "Did this help?"
        buttons, and going back to people is the customer's choice.

        Args:
            customer: whose conversation it is.
            conversation: the conversation as the agent hands it back.
            question: the customer's message (:meth:`question_to_take_up`); the replies
                are stored as replies to it.
            transcript: the conversation's transcript, holding ``question``.

        Returns:
            The answer, for :meth:`send_taken_up` once the hand back is said; None when the
            knowledge has no sure one.
        """
        history = [m for m in transcript if m.seq <= question.seq][-HISTORY_WINDOW:]
        turn = Turn(
            customer,
            conversation,
            question,
            None,
            history,
            language=conversation.language or self._default_language,
        )
        turn.slots = slots_from(history)
        turn.slots.language = conversation.language
        answer = await run_action(self._actions, ACTION_ANSWER, turn)
        if answer.slots.get("kb_outcome") not in _TAKEN_UP:
            return None
        return TakenUp(turn, tuple(answer.utterances))

    async def send_taken_up(self, taken: TakenUp, conversation: Conversation) -> list[Message]:
        """Store and deliver :meth:`take_up`'s answer in ``conversation``, back with the bot."""
        taken.turn.conversation = conversation
        return await self._reply(taken.turn, taken.utterances)

    async def _with_agent(
        self, customer: Customer, conversation: Conversation, message: Message
    ) -> list[Message]:
        """With an agent the bot is silent, the owning agent sees the message in the console;
        but until that agent has joined or written, the customer hears that a person has
        their conversation (at most once every :data:`WITH_AGENT_AGAIN_AFTER`)."""
        owner = conversation.owner_agent_id
        lines = await self._desk.since_assignment(conversation.id)
        if owner is None or has_joined(lines, owner):
            return []
        told = [m for m in lines if MessageKind.of(m.meta) is MessageKind.WITH_AGENT]
        if told and message.created_at - told[-1].created_at < WITH_AGENT_AGAIN_AFTER:
            return []
        language = conversation.language or self._default_language
        team = self._desk.team_label(conversation.team, language)
        turn = Turn(customer, conversation, message, None, (), language=language)
        return await self._reply(turn, [self.say(MessageKind.WITH_AGENT, language, team=team)])

    async def _while_queued(
        self, turn: Turn, chat: Recognised | None, *, wants_person: bool
    ) -> list[Message]:
        """In the queue the bot answers small talk with a line that fits the queue and
        questions only when it is sure; else: still in line, said in full once, then short.

        While nobody can reply now (the desk closed, or nobody from the team online) the
        line is its ``_away`` variant, which promises no reply "here" that reads as "soon",
        followed by why (:meth:`DeskStatus.away_reminder`).
        """
        if chat is not None:
            language = chat.language or turn.language  # the small talk's own, as its reply
            position = await self._place_in_queue(turn)
            away = await self._away(turn, language)
            reply = await self._small_talk(
                turn, chat, turn.slots.language, queued_at=position, away=away is not None
            )
            return await self._reply(turn, [_ended_with(reply, away)])
        verdict = turn.verdict
        if verdict is not None:
            position = await self._place_in_queue(turn)
            away = await self._away(turn, turn.language)
            # Feedback on an answer given while waiting; the person still comes either way.
            kind = MessageKind.HELPFUL_THANKS if verdict else MessageKind.STILL_QUEUED
            key = "helpful_thanks_queued" if verdict else "not_helpful_queued"
            key = key if away is None else f"{key}_away"
            text = self._phrases.get(key, turn.language, position=position)
            said = Utterance(text=text, meta={"kind": kind})
            return await self._reply(turn, [_ended_with(said, away)])
        utterances: list[Utterance] = []
        if not wants_person and not payloads.is_helpful(turn.payload):
            answer = await run_action(self._actions, ACTION_ANSWER, turn)
            if answer.slots.get("kb_outcome") == "answer":
                utterances.extend(without_person(u) for u in answer.utterances)
        if not utterances:
            position = await self._place_in_queue(turn)
            again = told_still_queued(turn.history)
            away = await self._away(turn, turn.language, again=again)
            if again:
                text = self._phrases.get("still_queued_again", turn.language, position=position)
                said = Utterance(text=text, meta={"kind": MessageKind.STILL_QUEUED, "again": True})
            else:
                key = "still_queued" if away is None else "still_queued_away"
                text = self._phrases.get(key, turn.language, position=position)
                said = Utterance(text=text, meta={"kind": MessageKind.STILL_QUEUED})
            utterances.append(_ended_with(said, away))
        return await self._reply(turn, utterances)

    async def _place_in_queue(self, turn: Turn) -> int:
        # Asked only for a reply that says it: most messages in the queue are questions the
        # knowledge answers, and a store call per message cost them about a tenth of their
        # CPU under load (docs/performance.md).
        return await self._store.queue_position(turn.conversation.id) or 1

    async def _away(self, turn: Turn, language: str, *, again: bool = False) -> str | None:
        """Why nobody replies now, when nobody can ("a person will reply here" alone
        would read as "soon" at night); None while people are on shift. ``again``: said
        short, after the full sentence."""
        return await self._status.away_reminder(
            turn.conversation.team, turn.message.created_at, language, again=again
        )

    async def _answer(self, turn: Turn) -> list[Message]:
        """With the bot: answer from the knowledge, or hand over to people."""
        message = turn.message
        trigger, instead = await self._before_answer(turn)
        answered = list(instead)
        if trigger is None and not instead:
            turn.slots.requested_article = payloads.requested_article(turn.payload)
            answer = await run_action(self._actions, ACTION_ANSWER, turn)
            answered.extend(answer.utterances)
            turn.slots.set(answer.slots)
            trigger = self._after_answer(turn.slots)
        if trigger is not None:
            # "Rephrase, or talk to a person" (or that button under an answer) would be
            # wrong a line before the handoff.
            answered = [self._handing_over(u, turn.language) for u in answered]
        handed: list[Utterance] = []
        if trigger is not None:
            turn.handoff_detail = trigger.detail
            # The question the handoff is about, and its team: the one still unsolved
            # (handoff.questions), not merely the latest words or the last article shown.
            # With none unsolved (small talk, or every answer helped) there is no question:
            # the handoff's summary is then the customer's own words asking for a person,
            # as the card, which reads the question the same way, shows none.
            said_now = [
                TranscriptLine(id=0, seq=message.seq, sender=SenderKind.BOT, text=u.text,
                               meta=dict(u.meta))
                for u in answered
            ]  # fmt: skip
            # Words that ask for a person and also say what about ("I need a person, my
            # printer is on fire") are the question, handed over without the bot trying it:
            # the handoff's reply says so, for the card to read (handoff.questions).
            stated = (
                trigger.reason is HandoffReason.CUSTOMER_ASKED
                and turn.payload is None
                and says_more_than_the_ask(message.text)
            )
            if stated:
                said_now.append(
                    TranscriptLine(id=0, seq=message.seq, sender=SenderKind.BOT, text="",
                                   meta={STATED_WITH_THE_ASK: True})
                )  # fmt: skip
            question = unresolved(questions_of([*turn.history, *said_now]))
            turn.question = question.text if question else None
            team = question.team if question else None
            handed = await self._handover.hand_off(turn, trigger.reason, team)
            if stated:
                handed = [stated_with_the_ask(u) for u in handed]
        # Notices are rendered once the turn knows where the conversation stands, so that
        # a notice's {eta} and the acknowledgement's wait come from the same figure.
        notices: list[Utterance] = []
        if message.seq == 1 or (trigger is not None and turn.assigned is None):
            notices = await self._notices(turn)
        if message.seq == 1:
            utterances = [*notices, *answered, *handed]  # a first message: the notice first
        else:
            utterances = [*answered, *notices, *handed]
        # An agent assigned at once is announced when they open the conversation or reply
        # (see DeskActions.join), not now: they have not looked yet.
        return await self._reply(turn, utterances)

    async def _before_answer(self, turn: Turn) -> tuple[Trigger | None, list[Utterance]]:
        """A handoff trigger that pre-empts the answer, or the bot's reply to feedback.

        Returns:
            The trigger (or None) and utterances that replace the knowledge answer (the
            thanks for "yes, that helped"); both empty means: answer the question.
        """
        message, language = turn.message, turn.language
        verdict = turn.verdict
        if verdict is not None:
            trigger = before_answer(
                self._policy, asked_for_person=False, helpful=verdict, frustration=None
            )
            if trigger is not None:
                return trigger, []
            kind = MessageKind.HELPFUL_THANKS if verdict else MessageKind.OFFER_PERSON
            button = Button(self._phrases.get("button_person", language), payloads.HUMAN)
            return None, [
                Utterance(
                    text=self._phrases.get(kind, language),
                    buttons=() if verdict else (button,),
                    meta={"kind": kind},
                )
            ]
        asked = turn.payload == payloads.HUMAN or asks_for_person(message.text)
        earlier = [
            m.text
            for m in turn.history
            if m.sender is SenderKind.CUSTOMER and m.id != message.id and not m.meta.get("payload")
        ]
        typed = turn.payload is None
        frustration = (
            detect(message.text, earlier, frustration_rules(self._policy)) if typed else None
        )
        return before_answer(
            self._policy, asked_for_person=asked, helpful=None, frustration=frustration
        ), []

    async def _take_verdict(
        self, turn: Turn, chat: Recognised | None, *, wants_person: bool
    ) -> Recognised | None:
        """Read the customer's answer to "Did this help?" and store it as feedback.

        A press of a button under an answer is one. So is a message typed right after an
        answer that is a verdict as a whole (:mod:`bot.dialogue.verdict`: "no", "nej det
        hjalp ikke", "yes, that helped", "thanks"): the turn then goes on as the press's,
        and the stored message carries the press's payload, so that the transcript's
        readers (the handoff's question, the card, the unanswered questions) take it for
        the press too. Anywhere else "no" or "ja" stays what it is.

        Returns:
            The small talk to reply with: thanks keeps its phrase, but a "ja" that small
            talk would take for "okay" is the verdict.
        """
        pressed = payloads.helpful_verdict(turn.payload)
        if pressed is not None:
            turn.verdict = pressed
            await self._record_helpful(turn, pressed)
            return chat
        if turn.payload is not None or wants_person or not asked_did_it_help(turn.history):
            return chat
        typed = recognise_verdict(turn.message.text)
        if typed is None:
            return chat
        payload = payloads.helpful(typed.helped)
        turn.message = replace(turn.message, meta={**turn.message.meta, "payload": payload})
        turn.history = [*turn.history[:-1], turn.message]
        turn.payload, turn.verdict = payload, typed.helped
        turn.language = typed.language or turn.language
        await self._record_helpful(turn, typed.helped, typed_in=turn.message.id)
        return chat if chat is not None and chat.kind is SmallTalk.THANKS else None

    async def _record_helpful(
        self, turn: Turn, verdict: bool, *, typed_in: int | None = None
    ) -> None:
        """Store a "did this help?" verdict as feedback on the latest answer."""
        answers = [m for m in turn.history if MessageKind.of(m.meta) is MessageKind.ANSWER]
        await self._store.record_feedback(
            turn.conversation.id,
            message_id=answers[-1].id if answers else None,
            helpful=verdict,
            typed_in=typed_in,
        )

    def _after_answer(self, slots: Slots) -> Trigger | None:
        answered = slots.kb_outcome == "answer"
        return after_answer(
            self._policy,
            answered_article=str(slots.article_id) if answered else None,
            article_tags=tuple(slots.article_tags or ()) if answered else (),
            article_handoff=bool(slots.article_handoff) if answered else False,
            fallbacks_in_a_row=int(slots.fallback_count or 0),
        )

    async def _small_talk(
        self,
        turn: Turn,
        chat: Recognised,
        known: str | None,
        *,
        queued_at: int | None = None,
        away: bool = False,
    ) -> Utterance:
        """The reply to small talk: a phrase, never a fallback, never a step to a handoff.

        "Thanks" right after an answer says that the answer helped, as the "yes, that helped"
        button would (:meth:`_take_verdict` stored it). In the queue (``queued_at``: the
        place in it) the phrase is the kind's ``small_talk_<kind>_queued``: a person will
        reply, and none is offered; ``away``: nobody can reply now, the phrase's ``_away``
        variant promises no reply.
        """
        language = chat.language or known or self._default_language
        if queued_at is not None:
            key = f"small_talk_{chat.kind.value}_queued{'_away' if away else ''}"
            return Utterance(
                text=self._phrases.get(key, language, position=queued_at),
                meta={"kind": MessageKind.SMALL_TALK, "small_talk": chat.kind.value},
            )
        key = f"small_talk_{chat.kind.value}"
        if chat.kind in _AFTER_HELP and nothing_asked_yet(turn.history):
            key = f"{key}_first"  # "what can I help you with?", not "anything else"
        buttons: tuple[Button, ...] = ()
        if chat.kind is SmallTalk.HELP:
            buttons = (Button(self._phrases.get("button_person", language), payloads.HUMAN),)
        return Utterance(
            text=self._phrases.get(key, language),
            buttons=buttons,
            meta={"kind": MessageKind.SMALL_TALK, "small_talk": chat.kind.value},
        )

    async def _command(
        self, customer: Customer, conversation: Conversation, message: Message, command: str
    ) -> list[Message]:
        """Answer a customer command (:data:`handoff.payloads.COMMANDS`) without the knowledge."""
        language = conversation.language or self._default_language
        turn = Turn(customer, conversation, message, command, (), language=language)
        if command == payloads.START:
            turn.slots = slots_from(await self._store.transcript(conversation.id))
            notices = await self._notices(turn)
            utterances = [*notices, self.say(MessageKind.GREETING, language)]
        elif command == payloads.END:
            utterances = [self.say(MessageKind.ENDED, language)]
        else:
            kind = MessageKind.HELP if command == payloads.HELP else MessageKind.UNSUPPORTED
            utterances = [self.say(kind, language)]
        sent = await self._reply(turn, utterances)
        if command == payloads.END:
            await self._store.resolve(conversation.id, agent_id=None)
            self._feed.publish(DESK)
        return sent

    async def _notices(self, turn: Turn) -> list[Utterance]:
        message = turn.message
        active = await self._store.active_notices(message.created_at)
        if not active:
            return []
        if message.seq > HISTORY_WINDOW:
            # The turn read only the recent transcript: a notice shown before it must not
            # be shown again.
            whole = await self._store.transcript(turn.conversation.id)
            turn.slots.notices_shown = slots_from(whole).notices_shown
        conversation = turn.conversation
        mine = for_conversation(active, team=conversation.team, channel=conversation.channel)
        if message.seq == 1 and mine:
            # A new conversation of a returning customer (after "/end" or a resolved one):
            # a notice they read in an earlier conversation is not shown again.
            earlier = await self._notices_read_before(turn, min(n.starts_at for n in mine))
            turn.slots.notices_shown = sorted({*turn.slots.notices_shown, *earlier})
        # Audience and placeholders depend on where the conversation is now.
        current = await self._store.get_conversation(turn.conversation.id)
        turn.slots.notices = await self._status.notices(
            current,
            message.created_at,
            turn.language,
            quote=turn.quote,
            article_team=turn.slots.article_team,
        )
        result = await run_action(self._actions, ACTION_NOTICE, turn)
        turn.slots.notices_shown = list(result.slots.get("notices_shown", []))
        return list(result.utterances)

    async def _notices_read_before(self, turn: Turn, since: datetime) -> set[int]:
        """The notices the customer was shown in their other conversations since ``since``."""
        shown: set[int] = set()
        for other in await self._store.customer_conversations(turn.customer.id, limit=5):
            if other.id == turn.conversation.id or other.updated_at < since:
                continue
            shown.update(slots_from(await self._store.transcript(other.id)).notices_shown)
        return shown

    async def _reply(self, turn: Turn, utterances: Sequence[Utterance]) -> list[Message]:
        return await self._outbound.reply(
            turn.customer, turn.conversation, turn.message, utterances
        )

    def _handing_over(self, said: Utterance, language: str | None) -> Utterance:
        """What the bot said, for a turn that hands over: a fallback reworded, and no
        person button (a person is coming)."""
        if said.meta.get("kind") != MessageKind.FALLBACK:
            return without_person(said)
        text = self._phrases.get("fallback_handoff", language)
        return Utterance(text=text, meta=said.meta)

    def say(self, kind: MessageKind, language: str | None, **values: object) -> Utterance:
        """The bot's phrase for a kind of message (the kind is its phrase key)."""
        return Utterance(text=self._phrases.get(kind, language, **values), meta={"kind": kind})


#: The knowledge's outcomes a hand back takes up (:meth:`CustomerTurns.take_up`).
_TAKEN_UP = frozenset({Outcome.ANSWER.value, Outcome.CLARIFY.value})


@dataclass(slots=True)
class TakenUp:
    """The bot's answer to a question an agent handed back, before it is sent."""

    turn: Turn
    utterances: tuple[Utterance, ...]


#: Small talk whose reply speaks of help given ("ask me anything else any time"): said
#: with its ``_first`` phrase while nothing has been asked yet.
_AFTER_HELP = frozenset({SmallTalk.THANKS, SmallTalk.ACKNOWLEDGE})


def _ended_with(said: Utterance, sentence: str | None) -> Utterance:
    """``said`` with ``sentence`` after its text, if there is one."""
    return said if sentence is None else replace(said, text=f"{said.text} {sentence}")


def without_person(said: Utterance) -> Utterance:
    """``said`` without its "talk to a person" button: never offered to someone whom a
    person will answer (queued, or handed over in this very turn)."""
    kept = tuple(b for b in said.buttons if b.payload != payloads.HUMAN)
    return said if kept == said.buttons else replace(said, buttons=kept)
