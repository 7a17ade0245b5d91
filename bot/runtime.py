"""The runtime: one inbound message from store to reply, and the agents' actions.

Order of work for a customer message (DESIGN.md, "One inbound message"): store it
idempotently, decide, store the replies, then deliver them. Messages of one customer are
handled one at a time, in arrival order.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from bot.dialogue import HUMAN_COMMAND, asks_for_person, requested_article
from bot.errors import DeliveryFailed, MessageRejected
from bot.feed import DESK, ChangeFeed
from bot.phrases import Phrases
from bot.turns import (
    ACTION_ANSWER,
    ACTION_HAND_OFF,
    ACTION_NOTICE,
    ActionRunner,
    TurnState,
    Utterance,
)
from handoff.errors import NotOwner
from handoff.model import (
    Agent,
    Conversation,
    ConversationState,
    Customer,
    DeliveryStatus,
    HandoffReason,
    Message,
    NewMessage,
    SenderKind,
)
from handoff.store.port import Store
from knowledge.language import detect_language

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A customer message as a channel adapter hands it over.

    Attributes:
        channel: the channel's name ("web", "telegram", "terminal").
        sender_id: the customer's stable id on that channel.
        external_id: a stable id of this message; a redelivery carries the same one.
        text: what the customer wrote (a pressed button's title when ``payload`` is set).
        payload: what a pressed button sends back, e.g. ``/human``.
    """

    channel: str
    sender_id: str
    external_id: str
    text: str
    display_name: str | None = None
    payload: str | None = None


@dataclass(frozen=True, slots=True)
class Handled:
    """The stored customer message and the replies it got (old ones for a redelivery)."""

    conversation: Conversation
    message: Message
    replies: tuple[Message, ...]
    duplicate: bool


class Delivery(Protocol):
    """Pushes a stored message to a customer on one channel."""

    async def deliver(self, customer: Customer, message: Message) -> None:
        """Raises DeliveryFailed."""
        ...


def clean_text(text: str) -> str:
    """Make text storable everywhere: no NUL, no lone surrogates, no surrounding space."""
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    return text.replace("\x00", "\ufffd").strip()


class Runtime:
    """Handles customer messages and the agents' actions on conversations."""

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
    ) -> None:
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

    @property
    def store(self) -> Store:
        """The store the runtime writes to."""
        return self._store

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
        text = clean_text(incoming.text)
        if not text and not incoming.payload:
            raise MessageRejected("empty message")
        async with self._lock(incoming.channel, incoming.sender_id):
            customer = await self._store.upsert_customer(
                channel=incoming.channel,
                external_id=incoming.sender_id,
                display_name=incoming.display_name,
            )
            conversation = await self._store.open_conversation(customer.id)
            meta: dict[str, Any] = {"payload": incoming.payload} if incoming.payload else {}
            message, created = await self._store.append_message(
                conversation.id,
                NewMessage(
                    sender=SenderKind.CUSTOMER,
                    text=text,
                    external_id=incoming.external_id,
                    meta=meta,
                ),
            )
            if message.conversation_id != conversation.id:
                conversation = await self._store.get_conversation(message.conversation_id)
            if not created:
                earlier = await self._store.replies_to(message.id)
                if earlier or conversation.state is ConversationState.AGENT:
                    return Handled(conversation, message, tuple(earlier), duplicate=True)
            self._feed.publish(customer.id, DESK)
            replies = await self._respond(customer, conversation, message, incoming.payload)
            return Handled(conversation, message, tuple(replies), duplicate=not created)

    async def _respond(
        self,
        customer: Customer,
        conversation: Conversation,
        message: Message,
        payload: str | None,
    ) -> list[Message]:
        if conversation.state is ConversationState.AGENT:
            return []  # the owning agent sees it in the console; the bot stays silent
        known = await self._language(conversation, message.text)
        language = known or self._default_language
        if len(message.text) > self._max_chars:
            return await self._send(
                customer, conversation, message, [self._say("too_long", language)]
            )
        history = await self._store.transcript(conversation.id)
        slots = _slots_from(history)
        # Unknown language: the action answers in the language of the best-matching article.
        slots["language"] = known
        wants_person = payload == HUMAN_COMMAND or asks_for_person(message.text)

        if conversation.state is ConversationState.QUEUED:
            utterances = []
            if not wants_person:
                answer = await self._run(ACTION_ANSWER, conversation, message, slots)
                if answer.slots.get("kb_outcome") == "answer":
                    utterances.extend(answer.utterances)
            if not utterances:
                position = await self._store.queue_position(conversation.id) or 1
                utterances.append(self._say("still_queued", language, position=position))
            return await self._send(customer, conversation, message, utterances)

        utterances = []
        if message.seq == 1:
            notices = await self._notices(conversation, message, slots, language)
            utterances.extend(notices)
        reason: HandoffReason | None = HandoffReason.CUSTOMER_ASKED if wants_person else None
        if reason is None:
            slots["requested_article"] = requested_article(payload)
            answer = await self._run(ACTION_ANSWER, conversation, message, slots)
            utterances.extend(answer.utterances)
            slots.update(answer.slots)
            if int(slots.get("fallback_count") or 0) >= self._fallbacks_before_handoff:
                reason = HandoffReason.REPEATED_FALLBACK
        if reason is not None:
            team = slots.get("article_team")
            utterances.extend(
                await self._hand_off(conversation, message, slots, reason, team, language)
            )
        return await self._send(customer, conversation, message, utterances)

    async def _language(self, conversation: Conversation, text: str) -> str | None:
        """The language of this turn: detected from the text, else the conversation's."""
        detected = detect_language(text)
        if detected is not None and detected != conversation.language:
            await self._store.set_conversation_language(conversation.id, detected)
            return detected
        return conversation.language

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
    ) -> list[Utterance]:
        active = await self._store.active_notices(message.created_at)
        if not active:
            return []
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
        await self._store.request_handoff(
            conversation.id, reason=reason, team=team, summary=message.text[:500]
        )
        self._feed.publish(DESK)
        slots["queue_position"] = await self._store.queue_position(conversation.id) or 1
        slots["team_name"] = self._team_names.get(team or "") or self._phrases.get(
            "team_default", language
        )
        result = await self._run(ACTION_HAND_OFF, conversation, message, slots)
        log.info("handoff conversation=%s reason=%s team=%s", conversation.id, reason, team)
        return [*await self._notices(conversation, message, slots, language), *result.utterances]

    def _say(self, key: str, language: str | None, **values: object) -> Utterance:
        return Utterance(text=self._phrases.get(key, language, **values), meta={"kind": key})

    async def _send(
        self,
        customer: Customer,
        conversation: Conversation,
        reply_to: Message,
        utterances: Sequence[Utterance],
    ) -> list[Message]:
        sent = []
        for utterance in utterances:
            stored = await self._store_and_deliver(
                customer,
                conversation,
                NewMessage(
                    sender=SenderKind.BOT,
                    text=utterance.text,
                    reply_to=reply_to.id,
                    buttons=utterance.buttons,
                    meta=dict(utterance.meta),
                ),
            )
            sent.append(stored)
        return sent

    async def _store_and_deliver(
        self, customer: Customer, conversation: Conversation, new: NewMessage
    ) -> Message:
        delivery = self._deliveries.get(customer.channel)
        if delivery is None:
            # Pull channels (web chat, terminal) read the transcript themselves.
            stored, _ = await self._store.append_message(conversation.id, new)
            self._feed.publish(customer.id, DESK)
            return stored
        pending = NewMessage(
            sender=new.sender,
            text=new.text,
            agent_id=new.agent_id,
            external_id=new.external_id,
            reply_to=new.reply_to,
            buttons=new.buttons,
            meta=new.meta,
            delivery=DeliveryStatus.PENDING,
        )
        stored, _ = await self._store.append_message(conversation.id, pending)
        self._feed.publish(customer.id, DESK)
        try:
            await delivery.deliver(customer, stored)
        except DeliveryFailed as exc:
            log.warning("delivery failed conversation=%s: %s", conversation.id, exc.reason)
            await self._store.set_delivery(stored.id, DeliveryStatus.FAILED, error=exc.reason)
        else:
            await self._store.set_delivery(stored.id, DeliveryStatus.SENT)
        return stored

    # Agents -------------------------------------------------------------------------

    async def claim(self, conversation_id: UUID, agent_id: int) -> Message:
        """Give a queued conversation to an agent and tell the customer who joined.

        Raises:
            AlreadyClaimed: another agent was first, or the conversation is not queued.
        """
        conversation = await self._store.claim(conversation_id, agent_id)
        agent = await self._store.get_agent(agent_id)
        team = self._team_names.get(conversation.team or "")
        key = "agent_joined" if team else "agent_joined_no_team"
        return await self._system(conversation, key, agent=agent, team=team)

    async def agent_reply(
        self, conversation_id: UUID, agent_id: int, text: str, *, external_id: str | None = None
    ) -> Message:
        """Send an agent's message to the customer; the agent must own the conversation.

        Raises:
            NotOwner: the agent does not own the conversation.
            MessageRejected: the text is empty.
        """
        text = clean_text(text)
        if not text:
            raise MessageRejected("empty message")
        conversation = await self._store.get_conversation(conversation_id)
        if (
            conversation.state is not ConversationState.AGENT
            or conversation.owner_agent_id != agent_id
        ):
            raise NotOwner(conversation_id, agent_id)
        customer = await self._store.get_customer(conversation.customer_id)
        return await self._store_and_deliver(
            customer,
            conversation,
            NewMessage(
                sender=SenderKind.AGENT, text=text, agent_id=agent_id, external_id=external_id
            ),
        )

    async def release(self, conversation_id: UUID, agent_id: int) -> Message:
        """Put a conversation back in the queue. Raises NotOwner."""
        conversation = await self._store.release(conversation_id, agent_id)
        agent = await self._store.get_agent(agent_id)
        return await self._system(conversation, "released", agent=agent)

    async def resolve(self, conversation_id: UUID, agent_id: int) -> Message:
        """Tell the customer the conversation is resolved, then close it. Raises NotOwner."""
        conversation = await self._store.get_conversation(conversation_id)
        if conversation.owner_agent_id != agent_id:
            raise NotOwner(conversation_id, agent_id)
        agent = await self._store.get_agent(agent_id)
        message = await self._system(conversation, "resolved", agent=agent)
        await self._store.resolve(conversation_id, agent_id=agent_id)
        self._feed.publish(DESK)
        return message

    async def _system(
        self, conversation: Conversation, key: str, *, agent: Agent, team: str | None = None
    ) -> Message:
        customer = await self._store.get_customer(conversation.customer_id)
        text = self._phrases.get(key, conversation.language, agent=agent.name, team=team)
        return await self._store_and_deliver(
            customer,
            conversation,
            NewMessage(sender=SenderKind.SYSTEM, text=text, agent_id=agent.id, meta={"kind": key}),
        )


def _slots_from(history: Sequence[Message]) -> dict[str, Any]:
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
