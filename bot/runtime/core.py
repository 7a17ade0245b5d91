"""The runtime: one inbound message from store to reply, and the agents' actions.

Order of work for a customer message (docs/architecture.md, "One message's path"): store it
idempotently, decide, store the replies, then deliver them. Messages of one customer are
handled one at a time, in arrival order.

:class:`Runtime` is the one object channels, the console, the timers and the CLI talk to;
it is made of four collaborators: :class:`bot.runtime.turn.CustomerTurns` (what the bot
says), :class:`bot.runtime.handover.Handover` (a turn's handoff to people),
:class:`bot.runtime.desk.DeskActions` (what agents do) and
:class:`bot.runtime.outbound.Outbound` (store, then deliver).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from bot.dialogue.phrases import Phrases
from bot.dialogue.rating import recognise as recognise_rating
from bot.dialogue.turns import ActionRunner, Utterance
from bot.errors import MessageRejected, UnknownSender
from bot.runtime.desk import DeskActions
from bot.runtime.feed import DESK, ChangeFeed
from bot.runtime.handover import Handover
from bot.runtime.incoming import Delivery, Handled, IncomingMessage, clean_text
from bot.runtime.outbound import Outbound, TranscriptListener
from bot.runtime.turn import HISTORY_WINDOW, CustomerTurns
from bot.settings.model import HandoffPolicy, Routing, Team
from handoff import attachments, payloads
from handoff.attachments import NewAttachment
from handoff.errors import NotFound
from handoff.model import (
    CHANNEL_REF,
    Agent,
    Conversation,
    ConversationState,
    Customer,
    Message,
    MessageKind,
    NewMessage,
    Presence,
    Received,
    Said,
    SenderKind,
)
from handoff.store.port import Store
from knowledge.language import detect_language

if TYPE_CHECKING:
    from bot.desk.status import DeskStatus
    from bot.service.metrics import RuntimeObserver

__all__ = ["Runtime", "TranscriptListener"]

log = logging.getLogger(__name__)


class Runtime:
    """Handles customer messages and the agents' actions on conversations."""

    def __init__(
        self,
        *,
        store: Store,
        actions: ActionRunner,
        phrases: Phrases,
        feed: ChangeFeed,
        teams: Sequence[Team],
        status: DeskStatus,
        policy: HandoffPolicy,
        routing: Routing,
        default_language: str = "en",
        max_message_chars: int = 4000,
        metrics: RuntimeObserver | None = None,
        ask_email_after: timedelta | None = None,
    ) -> None:
        self._store = store
        self._feed = feed
        self._metrics = metrics
        self._default_language = default_language
        self._outbound = Outbound(store=store, feed=feed, metrics=metrics)
        self._desk = DeskActions(
            store=store,
            feed=feed,
            phrases=phrases,
            outbound=self._outbound,
            routing=routing,
            teams={team.id: team for team in teams},
            status=status,
        )
        handover = Handover(
            store=store,
            actions=actions,
            phrases=phrases,
            feed=feed,
            desk=self._desk,
            status=status,
            routing=routing,
            metrics=metrics,
            ask_email_after=ask_email_after,
        )
        self._turns = CustomerTurns(
            store=store,
            actions=actions,
            phrases=phrases,
            feed=feed,
            outbound=self._outbound,
            desk=self._desk,
            status=status,
            handover=handover,
            policy=policy,
            default_language=default_language,
            max_message_chars=max_message_chars,
        )
        self._locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    @property
    def store(self) -> Store:
        """The store the runtime writes to."""
        return self._store

    def register_delivery(self, channel: str, delivery: Delivery) -> None:
        """Push ``channel``'s messages through ``delivery`` (wired once, at start-up)."""
        self._outbound.register_delivery(channel, delivery)

    def add_listener(self, listener: TranscriptListener) -> None:
        """Tell ``listener`` about every stored message (wired once, at start-up)."""
        self._outbound.add_listener(listener)

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
            UnknownSender: the message says its sender is registered, and it is not.
        """
        new = _customer_message(incoming)
        text = new.text
        async with self._lock(incoming.channel, incoming.sender_id):
            rating = _rating(incoming, new)
            if rating is not None:
                customer = await self._rating_customer(incoming)
                rated = await self._desk.take_rating(
                    customer, rating, typed=incoming.payload is None
                )
                if rated is not None:
                    return Handled(*rated)
            # Commands say nothing about the customer's language; anything else may.
            typed = incoming.payload not in payloads.COMMANDS
            received = await self._receive(
                incoming, new, language=detect_language(text) if typed else None
            )
            customer, conversation = received.customer, received.conversation
            message, created = received.message, received.created
            if created:
                await self._link_attachments(customer, message, incoming)
            if not created:
                earlier = await self._store.replies_to(message.id)
                if earlier or conversation.state is ConversationState.AGENT:
                    await self._outbound.redeliver(customer, earlier)
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
            replies = await self._turns.respond(
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
            UnknownSender: the message says its sender is registered, and it is not.
        """
        new = _customer_message(incoming)
        async with self._lock(incoming.channel, incoming.sender_id):
            received = await self._receive(incoming, new, language=None, history=0)
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
                flood = self._turns.say(MessageKind.FLOOD, language)
                replies = await self._outbound.reply(customer, conversation, message, [flood])
            return Handled(conversation, message, tuple(replies), duplicate=False)

    async def _receive(
        self,
        incoming: IncomingMessage,
        new: NewMessage,
        *,
        language: str | None,
        history: int = HISTORY_WINDOW,
    ) -> Received:
        """Store the message (and the customer, unless it must be registered already)."""
        try:
            return await self._store.receive_message(
                channel=incoming.channel,
                sender_id=incoming.sender_id,
                display_name=incoming.display_name,
                language=language,
                history=history,
                message=new,
                create_customer=not incoming.registered,
            )
        except NotFound as exc:
            if incoming.registered and exc.kind == "customer":
                raise UnknownSender(incoming.channel) from exc
            raise

    async def _rating_customer(self, incoming: IncomingMessage) -> Customer:
        if not incoming.registered:
            return await self._store.upsert_customer(
                channel=incoming.channel,
                external_id=incoming.sender_id,
                display_name=incoming.display_name,
            )
        customer = await self._store.find_customer(
            channel=incoming.channel, external_id=incoming.sender_id
        )
        if customer is None:
            raise UnknownSender(incoming.channel)
        return customer

    async def _link_attachments(
        self, customer: Customer, message: Message, incoming: IncomingMessage
    ) -> None:
        """Give the files sent with a newly stored message to it."""
        if incoming.attachments:
            ids = [ref.id for ref in incoming.attachments]
            await self._store.link_attachments(message.id, customer.id, ids)

    async def _count_and_tell(
        self, customer: Customer, conversation: Conversation, message: Message
    ) -> None:
        """Count a newly stored customer message and tell the listeners about it."""
        if self._metrics is not None:
            self._metrics.message_received(customer.channel)
        await self._outbound.tell_listeners(conversation.id, message)

    # What agents and timers do (bot.runtime.desk) ---------------------------------------

    async def notify(
        self, conversation_id: UUID, utterance: Utterance, *, replaces: Message | None = None
    ) -> Message:
        """Send the customer a bot message nobody asked for; see :meth:`Outbound.notify`."""
        return await self._outbound.notify(conversation_id, utterance, replaces=replaces)

    async def add_note(self, conversation_id: UUID, agent_id: int, text: str) -> Message:
        """An agent's internal note; see :meth:`DeskActions.add_note`."""
        return await self._desk.add_note(conversation_id, agent_id, text)

    async def join(self, conversation_id: UUID, agent_id: int) -> Message | None:
        """Say that the owning agent joined, once; see :meth:`DeskActions.join`."""
        return await self._desk.join(conversation_id, agent_id)

    async def dispatch_queue(self) -> list[Conversation]:
        """Offer the waiting conversations to agents; see :meth:`DeskActions.dispatch_queue`."""
        return await self._desk.dispatch_queue()

    async def set_presence(self, agent_id: int, presence: Presence) -> Agent:
        """Set an agent's presence; see :meth:`DeskActions.set_presence`."""
        return await self._desk.set_presence(agent_id, presence)

    async def claim(self, conversation_id: UUID, agent_id: int) -> Message:
        """Give a queued conversation to an agent; see :meth:`DeskActions.claim`."""
        return await self._desk.claim(conversation_id, agent_id)

    async def agent_reply(
        self,
        conversation_id: UUID,
        agent_id: int,
        text: str,
        *,
        external_id: str | None = None,
        files: Sequence[NewAttachment] = (),
    ) -> Message:
        """Send an agent's message; see :meth:`DeskActions.agent_reply`."""
        return await self._desk.agent_reply(
            conversation_id, agent_id, text, external_id=external_id, files=files
        )

    async def transfer_to_agent(
        self, conversation_id: UUID, agent_id: int, to_agent_id: int
    ) -> Message:
        """Give a conversation to a colleague; see :meth:`DeskActions.transfer_to_agent`."""
        return await self._desk.transfer_to_agent(conversation_id, agent_id, to_agent_id)

    async def transfer_to_team(self, conversation_id: UUID, agent_id: int, team: str) -> Message:
        """Put a conversation in another team's queue; see :meth:`DeskActions.transfer_to_team`."""
        return await self._desk.transfer_to_team(conversation_id, agent_id, team)

    async def hand_back(self, conversation_id: UUID, agent_id: int) -> Message:
        """Give a conversation back to the bot; see :meth:`DeskActions.hand_back`.

        A question the customer asked after the agent's last reply (or with no reply at
        all) is not left hanging: when the knowledge has a sure answer (or a "did you
        mean?"), the bot says it takes it up and answers it
        (:meth:`CustomerTurns.question_to_take_up`, :meth:`CustomerTurns.take_up`), as any
        bot reply, stored and delivered. Under the customer's lock, as a turn: a message
        they send meanwhile is answered after that answer, by the bot.

        Returns:
            The hand back as the customer reads it.

        Raises:
            NotOwner: another agent owns it (NotWithAgent: no agent does).
            NotFound: no such conversation.
        """
        conversation = await self._store.get_conversation(conversation_id)
        customer = await self._store.get_customer(conversation.customer_id)
        async with self._lock(customer.channel, customer.external_id):
            transcript = await self._store.transcript(conversation_id)
            question = self._turns.question_to_take_up(transcript)
            # Found before the hand back is stored: a failure here leaves the agent's
            # click undone, to try again, not half done.
            taken = None
            if question is not None:
                taken = await self._turns.take_up(customer, conversation, question, transcript)
            told = await self._desk.hand_back(
                conversation_id, agent_id, taking_up=taken is not None
            )
            if taken is not None:
                back = await self._store.get_conversation(conversation_id)
                await self._turns.send_taken_up(taken, back)
            return told

    async def release(self, conversation_id: UUID, agent_id: int) -> Message:
        """Put a conversation back in the queue; see :meth:`DeskActions.release`."""
        return await self._desk.release(conversation_id, agent_id)

    async def requeue_inactive(self, conversation_id: UUID, agent_id: int) -> Message:
        """Requeue a silent agent's conversation; see :meth:`DeskActions.requeue_inactive`."""
        return await self._desk.requeue_inactive(conversation_id, agent_id)

    async def resolve(self, conversation_id: UUID, agent_id: int) -> Message:
        """Resolve a conversation; see :meth:`DeskActions.resolve`."""
        return await self._desk.resolve(conversation_id, agent_id)

    async def ask_satisfaction(self, conversation_id: UUID, *, agent_id: int | None) -> Message:
        """Ask the customer for a rating; see :meth:`DeskActions.ask_satisfaction`."""
        return await self._desk.ask_satisfaction(conversation_id, agent_id=agent_id)


def _rating(incoming: IncomingMessage, new: NewMessage) -> NewMessage | None:
    """``new`` as a rating: a ``/rate N`` press, or a message that is a rating as a whole
    (:mod:`bot.dialogue.rating`: "5", "4 out of 5", "fem stjerner"), given the press's
    payload, so that the transcript's readers take it for the press; else None.

    Whether the typed one was asked for (the rating request is the latest line the
    customer read) is for :meth:`DeskActions.take_rating` to tell.
    """
    if payloads.rating_of(incoming.payload) is not None:
        return new
    if incoming.payload is not None or incoming.attachments:
        return None  # a file is kept for a person, with its caption: never a rating
    typed = recognise_rating(new.text)
    if typed is None:
        return None
    return replace(new, meta={**new.meta, "payload": payloads.rate(typed)})


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
