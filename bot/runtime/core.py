"""The runtime: one inbound message from store to reply, and the agents' actions.

Order of work for a customer message (docs/architecture.md, "One message's path"): store it
idempotently, decide, store the replies, then deliver them. Messages of one customer are
handled one at a time, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from bot.dialogue.answer_policy import HUMAN_COMMAND, asks_for_person, requested_article
from bot.dialogue.commands import CUSTOMER_COMMANDS, END_COMMAND, HELP_COMMAND, START_COMMAND
from bot.dialogue.phrases import Phrases
from bot.dialogue.small_talk import Recognised, SmallTalk, recognise
from bot.dialogue.turns import (
    ACTION_ANSWER,
    ACTION_HAND_OFF,
    ACTION_NOTICE,
    ActionRunner,
    TurnState,
    Utterance,
)
from bot.errors import MessageRejected
from bot.runtime.desk import DeskActions, question_of, rating_of
from bot.runtime.feed import DESK, ChangeFeed
from bot.runtime.incoming import Delivery, Handled, IncomingMessage, clean_text
from bot.runtime.outbound import Outbound
from bot.settings.model import HandoffPolicy, Routing
from handoff import attachments
from handoff.model import (
    CHANNEL_REF,
    Button,
    Conversation,
    ConversationState,
    Customer,
    HandoffReason,
    Message,
    NewMessage,
    Said,
    SenderKind,
    TranscriptLine,
)
from handoff.questions import questions_of, unresolved
from handoff.routing import pick_team
from handoff.store.port import Store
from knowledge.language import detect_language

if TYPE_CHECKING:
    from bot.desk.quote import WaitQuote
    from bot.desk.status import DeskStatus
    from bot.service.metrics import RuntimeObserver

log = logging.getLogger(__name__)

# How much of the transcript a turn reads back to rebuild the dialogue's memory (fallbacks
# in a row, the team of the last answer, the question to hand over, repeated questions).
# Reading all of it made each turn slower the longer the conversation ran.
HISTORY_WINDOW = 30


class TranscriptListener(Protocol):
    """Told about each message stored in a conversation (the Telegram staff group mirrors
    them into its topics). A listener's failure is logged; the conversation goes on."""

    async def message_stored(self, conversation_id: UUID, message: Message) -> None:
        """``message`` was stored in the conversation (and, if outbound, delivered)."""


class Runtime(DeskActions, Outbound):
    """Handles customer messages and the agents' actions on conversations.

    The desk half (handoff policy, routing, transfers, feedback) is in
    :mod:`bot.runtime.desk`; storing and delivering replies in :mod:`bot.runtime.outbound`.
    """

    def __init__(
        self,
        *,
        store: Store,
        actions: ActionRunner,
        phrases: Phrases,
        feed: ChangeFeed,
        team_names: Mapping[str, str],
        deliveries: Mapping[str, Delivery] | None = None,
        default_language: str = "en",
        fallbacks_before_handoff: int = 2,
        max_message_chars: int = 4000,
        status: DeskStatus | None = None,
        policy: HandoffPolicy | None = None,
        routing: Routing | None = None,
        metrics: RuntimeObserver | None = None,
        ask_email_after: timedelta | None = None,
    ) -> None:
        self._status = status
        # Web customers are asked for an address (once) when closed or waiting this long;
        # None: replies are not mailed, so nobody is asked.
        self._ask_email_after = ask_email_after
        self._metrics = metrics
        # Without a policy table the legacy ``fallbacks_before_handoff`` decides fallbacks.
        self._policy = policy or HandoffPolicy(fallbacks_in_a_row=fallbacks_before_handoff)
        self._routing = routing or Routing()
        self._store = store
        self._actions = actions
        self._phrases = phrases
        self._feed = feed
        self._team_names = dict(team_names)
        self._deliveries = dict(deliveries or {})
        self._default_language = default_language
        self._fallbacks_before_handoff = fallbacks_before_handoff
        self._max_chars = max_message_chars
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._listeners: list[TranscriptListener] = []

    @property
    def store(self) -> Store:
        """The store the runtime writes to."""
        return self._store

    def register_delivery(self, channel: str, delivery: Delivery) -> None:
        """Push ``channel``'s messages through ``delivery`` (wired once, at start-up)."""
        self._deliveries[channel] = delivery

    def add_listener(self, listener: TranscriptListener) -> None:
        """Tell ``listener`` about every stored message (wired once, at start-up)."""
        self._listeners.append(listener)

    def _lock(self, channel: str, sender_id: str) -> asyncio.Lock:
        key = (channel, sender_id)
        lock = self._locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[key] = lock
        return lock

    # Customer messages -------------------------------------------------------------

    async def handle(self, incoming: IncomingMessage) -> Handled:
        """Store a customer message, decide, store and deliver the replies.

        Raises:
            MessageRejected: the message has no text and no button payload.
        """
        new = _customer_message(incoming)
        text = new.text
        async with self._lock(incoming.channel, incoming.sender_id):
            if rating_of(incoming.payload) is not None:
                customer = await self._store.upsert_customer(
                    channel=incoming.channel,
                    external_id=incoming.sender_id,
                    display_name=incoming.display_name,
                )
                rated = await self._take_rating(
                    customer, text=text, payload=incoming.payload, external_id=incoming.external_id
                )
                if rated is not None:
                    return Handled(*rated)
            # Commands say nothing about the customer's language; anything else may.
            typed = incoming.payload not in CUSTOMER_COMMANDS
            received = await self._store.receive_message(
                channel=incoming.channel,
                sender_id=incoming.sender_id,
                display_name=incoming.display_name,
                language=detect_language(text) if typed else None,
                history=HISTORY_WINDOW,
                message=new,
            )
            customer, conversation = received.customer, received.conversation
            message, created = received.message, received.created
            if created:
                await self._link_attachments(customer, message, incoming)
            if not created:
                earlier = await self._store.replies_to(message.id)
                if earlier or conversation.state is ConversationState.AGENT:
                    await self._redeliver(customer, earlier)
                    return Handled(conversation, message, tuple(earlier), duplicate=True)
            self._feed.publish(customer.id, DESK)
            if created:
                await self._count_and_tell(customer, conversation, message)
            history: Sequence[Said]
            if created:
                history = [*received.history, message]
            else:  # stored before a crash, never answered: read what came before it
                history = await self._store.transcript(
                    conversation.id, after_seq=max(0, message.seq - HISTORY_WINDOW - 1)
                )
            replies = await self._respond(
                customer, conversation, message, incoming.payload, history
            )
            return Handled(conversation, message, tuple(replies), duplicate=not created)

    async def hold(self, incoming: IncomingMessage, *, tell: bool) -> Handled:
        """Store a customer message without answering it: a channel's flood limit.

        The message joins the transcript like any other (agents see it; nothing said is
        lost), but no turn runs for it. When ``tell``, the bot says that the customer
        writes faster than it reads (the channel asks for that once per window), unless a
        person has the conversation.

        Raises:
            MessageRejected: the message has no text and no button payload.
        """
        new = _customer_message(incoming)
        async with self._lock(incoming.channel, incoming.sender_id):
            received = await self._store.receive_message(
                channel=incoming.channel,
                sender_id=incoming.sender_id,
                display_name=incoming.display_name,
                message=new,
            )
            customer, conversation, message = (
                received.customer,
                received.conversation,
                received.message,
            )
            if not received.created:
                earlier = await self._store.replies_to(message.id)
                return Handled(conversation, message, tuple(earlier), duplicate=True)
            await self._link_attachments(customer, message, incoming)
            self._feed.publish(customer.id, DESK)
            await self._count_and_tell(customer, conversation, message)
            replies: list[Message] = []
            if tell and conversation.state is not ConversationState.AGENT:
                language = conversation.language or self._default_language
                replies = await self._send(
                    customer, conversation, message, [self._say("flood", language)]
                )
            return Handled(conversation, message, tuple(replies), duplicate=False)

    async def _link_attachments(
        self, customer: Customer, message: Message, incoming: IncomingMessage
    ) -> None:
        """Give the files sent with a newly stored message to it."""
        ids = [ref.id for ref in incoming.attachments]
        await self._store.link_attachments(message.id, customer.id, ids)

    async def _count_and_tell(
        self, customer: Customer, conversation: Conversation, message: Message
    ) -> None:
        """Count a newly stored customer message and tell the listeners about it."""
        if self._metrics is not None:
            self._metrics.message_received(customer.channel)
        await self._tell_listeners(conversation.id, message)

    async def _respond(
        self,
        customer: Customer,
        conversation: Conversation,
        message: Message,
        payload: str | None,
        history: Sequence[Said],
    ) -> list[Message]:
        """Decide and send the replies; ``history`` ends with ``message``."""
        if payload in CUSTOMER_COMMANDS:
            return await self._command(customer, conversation, message, payload)
        if conversation.state is ConversationState.AGENT:
            return []  # the owning agent sees it in the console; the bot stays silent
        if message.meta.get(attachments.ONLY_FILES):
            # The bot cannot read a file; it keeps it for a person and says so.
            language = conversation.language or self._default_language
            key = (
                "attachment_queued"
                if conversation.state is ConversationState.QUEUED
                else "attachment_kept"
            )
            return await self._send(customer, conversation, message, [self._say(key, language)])
        # The language of this turn: detected from its text when it could be (the store
        # made that the conversation's language), else the conversation's.
        known = conversation.language
        language = known or self._default_language
        if len(message.text) > self._max_chars:
            return await self._send(
                customer, conversation, message, [self._say("too_long", language)]
            )
        slots = _slots_from(history)
        # Unknown language: the action answers in the language of the best-matching article.
        slots["language"] = known
        wants_person = payload == HUMAN_COMMAND or asks_for_person(message.text)

        if conversation.state is ConversationState.QUEUED:
            utterances = []
            if not wants_person and not (payload or "").startswith("/helpful"):
                answer = await self._run(ACTION_ANSWER, conversation, message, slots)
                if answer.slots.get("kb_outcome") == "answer":
                    utterances.extend(answer.utterances)
            if not utterances:
                position = await self._store.queue_position(conversation.id) or 1
                utterances.append(self._say("still_queued", language, position=position))
            return await self._send(customer, conversation, message, utterances)

        chat = None if payload is not None or wants_person else recognise(message.text)
        if chat is not None:
            reply = await self._small_talk(conversation, history, chat, known)
            first = message.seq == 1
            shown = await self._notices(conversation, message, slots, language) if first else []
            return await self._send(customer, conversation, message, [*shown, reply])
        trigger, instead = await self._before_answer(
            conversation, message, history, payload=payload, language=language
        )
        answered = list(instead)
        if trigger is None and not instead:
            slots["requested_article"] = requested_article(payload)
            answer = await self._run(ACTION_ANSWER, conversation, message, slots)
            answered.extend(answer.utterances)
            slots.update(answer.slots)
            trigger = self._after_answer(slots)
        handed: list[Utterance] = []
        if trigger is not None:
            slots["handoff_detail"] = trigger.detail
            # The question the handoff is about, and its team: the one still unsolved
            # (handoff.questions), not merely the latest words or the last article shown.
            said_now = [
                TranscriptLine(id=0, seq=message.seq, sender=SenderKind.BOT, text=u.text,
                               meta=dict(u.meta))
                for u in answered
            ]  # fmt: skip
            question = unresolved(questions_of([*history, *said_now]))
            slots["question"] = question.text if question else question_of(history, message)
            team = question.team if question else None
            handed = await self._hand_off(
                conversation, message, slots, trigger.reason, team, language
            )
        # Kept out of the slots the actions see: they are objects, not dialogue memory.
        assigned = slots.pop("assigned", None)
        quote = slots.pop("quote", None)
        # Notices are rendered once the turn knows where the conversation stands, so that
        # a notice's {eta} and the acknowledgement's wait come from the same figure.
        notices: list[Utterance] = []
        if message.seq == 1 or (trigger is not None and assigned is None):
            notices = await self._notices(conversation, message, slots, language, quote=quote)
        if message.seq == 1:
            utterances = [*notices, *answered, *handed]  # a first message: the notice first
        else:
            utterances = [*answered, *notices, *handed]
        # An agent assigned at once is announced when they open the conversation or reply
        # (see DeskActions.join), not now: they have not looked yet.
        return await self._send(customer, conversation, message, utterances)

    async def _small_talk(
        self,
        conversation: Conversation,
        history: Sequence[Said],
        chat: Recognised,
        known: str | None,
    ) -> Utterance:
        """The reply to small talk: a phrase, never a fallback, never a step to a handoff.

        "Thanks" right after an answer says that the answer helped, as the "yes, that helped"
        button would.
        """
        language = chat.language or known or self._default_language
        if chat.kind is SmallTalk.THANKS:
            earlier = [m for m in history[:-1] if m.sender is SenderKind.BOT]
            if earlier and earlier[-1].meta.get("kind") == "answer":
                await self._store.record_feedback(
                    conversation.id, message_id=earlier[-1].id, helpful=True
                )
        buttons: tuple[Button, ...] = ()
        if chat.kind is SmallTalk.HELP:
            buttons = (Button(self._phrases.get("button_person", language), HUMAN_COMMAND),)
        return Utterance(
            text=self._phrases.get(f"small_talk_{chat.kind.value}", language),
            buttons=buttons,
            meta={"kind": "small_talk", "small_talk": chat.kind.value},
        )

    async def _command(
        self, customer: Customer, conversation: Conversation, message: Message, command: str
    ) -> list[Message]:
        """Answer a customer command (bot.dialogue.commands) without consulting the knowledge."""
        language = conversation.language or self._default_language
        if command == START_COMMAND:
            slots = _slots_from(await self._store.transcript(conversation.id))
            notices = await self._notices(conversation, message, slots, language)
            utterances = [*notices, self._say("greeting", language)]
        elif command == END_COMMAND:
            utterances = [self._say("ended", language)]
        else:
            key = "help" if command == HELP_COMMAND else "unsupported"
            utterances = [self._say(key, language)]
        sent = await self._send(customer, conversation, message, utterances)
        if command == END_COMMAND:
            await self._store.resolve(conversation.id, agent_id=None)
            self._feed.publish(DESK)
        return sent

    async def _run(
        self,
        action: str,
        conversation: Conversation,
        message: Message,
        slots: Mapping[str, Any],
    ) -> Any:
        state = TurnState(sender_id=str(conversation.id), text=message.text, slots=dict(slots))
        return await self._actions.run(action, state)

    async def _notices(
        self,
        conversation: Conversation,
        message: Message,
        slots: dict[str, Any],
        language: str,
        *,
        quote: WaitQuote | None = None,
    ) -> list[Utterance]:
        active = await self._store.active_notices(message.created_at)
        if not active:
            return []
        if message.seq > HISTORY_WINDOW:
            # The turn read only the recent transcript: a notice shown before it must not
            # be shown again.
            whole = await self._store.transcript(conversation.id)
            slots["notices_shown"] = _slots_from(whole)["notices_shown"]
        if self._status is not None:
            # Audience and placeholders depend on where the conversation is now.
            current = await self._store.get_conversation(conversation.id)
            slots["notices"] = await self._status.notices(
                current, message.created_at, language, quote=quote
            )
        else:
            slots["notices"] = [
                {"id": n.id, "text": n.texts.get(language) or next(iter(n.texts.values()))}
                for n in active
                if n.texts
            ]
        result = await self._run(ACTION_NOTICE, conversation, message, slots)
        slots["notices_shown"] = result.slots.get("notices_shown", [])
        return list(result.utterances)

    async def _hand_off(
        self,
        conversation: Conversation,
        message: Message,
        slots: dict[str, Any],
        reason: HandoffReason,
        team: str | None,
        language: str,
    ) -> list[Utterance]:
        team = pick_team(
            article_team=team,
            language=slots.get("language"),
            language_teams=self._routing.language_teams,
            default_team=self._routing.default_team,
        )
        await self._store.request_handoff(
            conversation.id,
            reason=reason,
            team=team,
            summary=slots.get("question") or message.text,
            detail=slots.get("handoff_detail"),
        )
        self._feed.publish(DESK)
        if self._metrics is not None:
            self._metrics.handoff_requested(reason)
        slots["team_name"] = self._team_label(team, language)
        log.info(
            "handoff conversation=%s reason=%s team=%s",
            conversation.id,
            reason,
            team,
            extra={"conversation_id": str(conversation.id)},
        )
        assigned = await self._assign_now(conversation.id)
        if assigned is not None:
            # Someone has it at once: no queue talk; "Maria has joined" comes when she looks.
            slots["assigned"] = assigned
            ack = self._say("handoff_ack_assigned", language, team=slots["team_name"])
            return [Utterance(text=ack.text, meta={"kind": "handoff", "assigned": True})]
        position = await self._store.queue_position(conversation.id)
        slots["queue_position"] = position or 1
        result = await self._run(ACTION_HAND_OFF, conversation, message, slots)
        status: list[Utterance] = []
        quote: WaitQuote | None = None
        if self._status is not None and position is not None:
            # The team and the place were just stored and read: asking the store again
            # would cost the turn two more waits behind other conversations' store calls
            # when the service is busy. The quote is the turn's one figure: the notices
            # rendered after this use it too.
            quote = await self._status.quote_for(team, position, message.created_at)
            slots["quote"] = quote
            status = await self._status.acknowledge(quote, language)
            promise = self._status.words.promise(quote)
            if promise is not None and quote.estimate is not None:
                await self._store.record_promise(
                    conversation.id,
                    low_s=promise[0],
                    high_s=promise[1],
                    point_s=round(quote.estimate.point_s),
                )
        ask = [] if quote is None else await self._ask_email(conversation, quote, language)
        return [*result.utterances, *status, *ask]

    async def _ask_email(
        self, conversation: Conversation, quote: WaitQuote, language: str
    ) -> list[Utterance]:
        """Ask a web customer for an e-mail address once, if the wait is long or the desk
        closed: a reply written after they left then reaches them (bot.desk.reply_mail)."""
        threshold = self._ask_email_after
        if threshold is None or conversation.channel != "web":
            return []
        estimate = quote.estimate
        long_wait = estimate is None or estimate.point_s >= threshold.total_seconds()
        if quote.open_now and not long_wait:
            return []
        if not await self._store.ask_for_address(conversation.customer_id):
            return []  # asked before: once is enough
        return [self._say("email_ask", language)]

    def _say(self, key: str, language: str | None, **values: object) -> Utterance:
        return Utterance(text=self._phrases.get(key, language, **values), meta={"kind": key})


def _customer_message(incoming: IncomingMessage) -> NewMessage:
    """A customer's message as the store takes it: cleaned text, payload and channel id.

    Raises:
        MessageRejected: the message has no text and no button payload.
    """
    text = clean_text(incoming.text)
    meta: dict[str, Any] = {"payload": incoming.payload} if incoming.payload else {}
    if incoming.attachments:
        meta[attachments.META_KEY] = [ref.to_meta() for ref in incoming.attachments]
        if not text:
            # The transcript line names the files; the meta says nothing else was written.
            text = ", ".join(ref.name for ref in incoming.attachments)
            meta[attachments.ONLY_FILES] = True
    if not text and not incoming.payload:
        raise MessageRejected("empty message")
    if incoming.reference is not None:
        meta[CHANNEL_REF] = incoming.reference
    return NewMessage(
        sender=SenderKind.CUSTOMER, text=text, external_id=incoming.external_id, meta=meta
    )


def _slots_from(history: Sequence[Said]) -> dict[str, Any]:
    """Rebuild the dialogue's memory from the transcript, so nothing lives only in RAM."""
    fallbacks = 0
    team: str | None = None
    shown: list[int] = []
    for message in history:
        kind = message.meta.get("kind")
        if message.sender is SenderKind.BOT and kind == "fallback":
            fallbacks += 1
        elif message.sender is SenderKind.BOT and kind == "answer":
            fallbacks = 0
            team = message.meta.get("team") or team
        elif message.sender is SenderKind.BOT and kind == "handoff":
            fallbacks = 0
        if kind == "notice" and message.meta.get("notice_id") is not None:
            shown.append(int(message.meta["notice_id"]))
    return {"fallback_count": fallbacks, "article_team": team, "notices_shown": shown}
