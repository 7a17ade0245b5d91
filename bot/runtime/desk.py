"""The agents' actions on conversations: assignment, ownership, notes, satisfaction.

The console, the Telegram staff group and the timers act through :class:`DeskActions`
(by way of :class:`bot.runtime.core.Runtime`); what is said to the customer goes out
through the :class:`bot.runtime.outbound.Outbound` it is given.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from bot.dialogue.phrases import Phrases
from bot.dialogue.small_talk import SmallTalk
from bot.dialogue.turns import Utterance
from bot.errors import MessageRejected
from bot.runtime.feed import DESK, ChangeFeed
from bot.runtime.incoming import clean_text
from bot.runtime.outbound import Outbound
from bot.settings.model import Routing, Team
from handoff import attachments, payloads
from handoff.attachments import NewAttachment
from handoff.model import (
    JOINED_TEAM,
    Agent,
    Button,
    Conversation,
    ConversationState,
    Customer,
    Message,
    MessageKind,
    NewMessage,
    Presence,
    SenderKind,
)
from handoff.states import Move, check_move, check_owner
from handoff.store.port import Store

if TYPE_CHECKING:
    from bot.desk.status import DeskStatus

log = logging.getLogger(__name__)

#: The transcript kinds that tell the customer an agent has joined.
JOINED_KINDS = frozenset({MessageKind.AGENT_JOINED, MessageKind.AGENT_JOINED_NO_TEAM})


def has_joined(messages: Sequence[Message], agent_id: int) -> bool:
    """Whether ``messages`` announce ``agent_id`` ("Maria has joined") or hold their reply.

    An internal note is not a reply: the customer never sees it.
    """
    return any(
        m.agent_id == agent_id
        and (
            MessageKind.of(m.meta) in JOINED_KINDS
            or (m.sender is SenderKind.AGENT and not m.meta.get("internal"))
        )
        for m in messages
    )


#: The bot's replies to a customer's politeness ("thanks!", "ok", "bye"), which change
#: nothing they were asked: a rating typed after them still answers the rating request.
_POLITE_REPLIES = frozenset(
    kind.value for kind in (SmallTalk.THANKS, SmallTalk.ACKNOWLEDGE, SmallTalk.GOODBYE)
)


def _asks_nothing(message: Message) -> bool:
    """A line of the bot's that asks the customer nothing new: its reply to politeness, or
    a status notice (shown with the first reply of a new conversation)."""
    kind = MessageKind.of(message.meta)
    return kind is MessageKind.NOTICE or (
        kind is MessageKind.SMALL_TALK and message.meta.get("small_talk") in _POLITE_REPLIES
    )


def _read_last(messages: Sequence[Message]) -> int | None:
    """The id of the latest of the customer's ``messages`` they did not write themselves:
    what they last read from the bot, an agent or the desk, lines that ask nothing new
    aside."""
    return next(
        (
            m.id
            for m in reversed(messages)
            if m.sender is not SenderKind.CUSTOMER and not _asks_nothing(m)
        ),
        None,
    )


class DeskActions:
    """What agents (and the timers on their behalf) do with conversations."""

    def __init__(
        self,
        *,
        store: Store,
        feed: ChangeFeed,
        phrases: Phrases,
        outbound: Outbound,
        routing: Routing,
        teams: Mapping[str, Team],
        status: DeskStatus | None = None,
    ) -> None:
        self._store = store
        self._feed = feed
        self._phrases = phrases
        self._outbound = outbound
        self._routing = routing
        self._teams = teams
        self._status = status

    # Routing --------------------------------------------------------------------------

    def team_label(self, team: str | None, language: str | None) -> str:
        """A team's display name, or "our support team", in the customer's language."""
        return self.team_name(team, language) or self._phrases.get("team_default", language)

    def team_name(self, team: str | None, language: str | None) -> str | None:
        """A configured team's display name in the customer's language (None: no such team)."""
        configured = self._teams.get(team or "")
        return configured.name_in(language) if configured is not None else None

    async def assign_waiting(self, conversation_id: UUID) -> Conversation | None:
        """Give a queued conversation to an available agent, if there is one.

        The customer is not told yet: "Maria has joined" is said when Maria opens the
        conversation or replies (:meth:`join`), so it is true when it is said.

        Assigned atomically in the store: two processes never give it to two agents.

        Returns:
            The conversation as assigned, or None (it keeps waiting).
        """
        away_after = timedelta(minutes=self._routing.away_after_minutes)
        status = self._status
        conversation = await self._store.assign(
            conversation_id,
            away_after=away_after,
            time_zone=UTC if status is None else status.words.time_zone,
        )
        if conversation is None:
            return None
        self._feed.publish(DESK)
        log.info("assigned conversation=%s agent=%s", conversation_id, conversation.owner_agent_id)
        return conversation

    async def add_note(self, conversation_id: UUID, agent_id: int, text: str) -> Message:
        """Add an agent's internal note to the transcript, for colleagues only.

        Any agent may leave one, also on a queued conversation. Consoles showing the
        conversation and the Telegram staff topic (the listeners) see it; the customer never.

        Raises:
            NotFound: no such conversation or agent.
        """
        note = await self._store.add_note(conversation_id, agent_id, text)
        conversation = await self._store.get_conversation(conversation_id)
        self._feed.publish(conversation.customer_id)
        await self._outbound.tell_listeners(conversation_id, note)
        return note

    async def join(self, conversation_id: UUID, agent_id: int) -> Message | None:
        """Tell the customer that their agent has joined, once per assignment.

        Called when the owning agent opens the conversation or replies. Nothing is said
        when the agent does not own it, or was already announced since it became theirs.

        Returns:
            The "Maria from IT support has joined" message, or None.
        """
        conversation = await self._store.get_conversation(conversation_id)
        if (
            conversation.state is not ConversationState.AGENT
            or conversation.owner_agent_id != agent_id
        ):
            return None
        if has_joined(await self.since_assignment(conversation_id), agent_id):
            return None
        return await self._announce(conversation)

    async def since_assignment(self, conversation_id: UUID) -> list[Message]:
        """The conversation's messages since its current agent got it, in order.

        The whole transcript when it has no current handoff or the handoff is not claimed.
        """
        handoff = await self._store.current_handoff(conversation_id)
        since = handoff.claimed_at if handoff is not None else None
        transcript = await self._store.transcript(conversation_id)
        return [m for m in transcript if since is None or m.created_at >= since]

    async def _announce(self, conversation: Conversation) -> Message:
        """Tell the customer who took over: "Maria from IT support has joined"."""
        if conversation.owner_agent_id is None:
            raise ValueError(f"conversation {conversation.id} has no owner to announce")
        agent = await self._store.get_agent(conversation.owner_agent_id)
        team = self.team_name(conversation.team, conversation.language)
        key = MessageKind.AGENT_JOINED if team else MessageKind.AGENT_JOINED_NO_TEAM
        return await self._system(conversation, key, agent=agent, team=team)

    async def dispatch_queue(self) -> list[Conversation]:
        """Offer every waiting conversation, oldest first, to the agents available now.

        Returns:
            The conversations assigned now (their agents are announced when they look).
        """
        assigned = []
        for entry in await self._store.queue():
            conversation = await self.assign_waiting(entry.conversation.id)
            if conversation is not None:
                assigned.append(conversation)
        return assigned

    async def set_presence(self, agent_id: int, presence: Presence) -> Agent:
        """Set an agent's presence; an agent coming online takes waiting conversations."""
        agent = await self._store.set_presence(agent_id, presence)
        self._feed.publish(DESK)
        if presence is Presence.ONLINE:
            await self.dispatch_queue()
        return agent

    # Ownership ------------------------------------------------------------------------

    async def transfer_to_agent(
        self, conversation_id: UUID, agent_id: int, to_agent_id: int
    ) -> Message:
        """Give an owned conversation to a colleague; the customer hears who took over.

        Raises:
            NotOwner: the agent does not own the conversation.
            AgentUnavailable: the colleague cannot take it.
        """
        conversation = await self._store.transfer_to_agent(conversation_id, agent_id, to_agent_id)
        self._feed.publish(DESK)
        # The colleague has not looked yet (they may not even be online): they are announced
        # when they open the conversation or reply (join), as an agent assigned at once.
        agent = await self._store.get_agent(agent_id)
        return await self._system(conversation, MessageKind.TRANSFERRED_AGENT, agent=agent)

    async def transfer_to_team(self, conversation_id: UUID, agent_id: int, team: str) -> Message:
        """Put an owned conversation in another team's queue and tell the customer.

        Raises:
            NotOwner: the agent does not own the conversation.
        """
        conversation = await self._store.transfer_to_team(conversation_id, agent_id, team)
        self._feed.publish(DESK)
        agent = await self._store.get_agent(agent_id)
        label = self.team_label(team, conversation.language)
        told = await self._system(
            conversation, MessageKind.TRANSFERRED_TEAM, agent=agent, team=label, queued=True
        )
        await self.assign_waiting(conversation_id)
        return told

    async def hand_back(
        self, conversation_id: UUID, agent_id: int, *, taking_up: bool = False
    ) -> Message:
        """Give an owned conversation back to the bot; it stays open.

        Args:
            conversation_id: the conversation.
            agent_id: the agent who owns it.
            taking_up: the bot goes on to answer the customer's last question, which
                nobody answered: the customer is told so instead of being asked to ask.

        Raises:
            NotOwner: another agent owns it (NotWithAgent: no agent does).
        """
        conversation = await self._store.hand_back(conversation_id, agent_id)
        self._feed.publish(DESK)
        agent = await self._store.get_agent(agent_id)
        return await self._system(
            conversation,
            MessageKind.HANDED_BACK,
            agent=agent,
            phrase="handed_back_question" if taking_up else None,
        )

    # Satisfaction ---------------------------------------------------------------------

    async def ask_satisfaction(self, conversation_id: UUID, *, agent_id: int | None) -> Message:
        """Ask the customer to rate the conversation 1-5, credited to ``agent_id`` or the bot.

        The request carries the conversation and the agent, so a rating that arrives after
        the conversation closed is still filed where it belongs.
        """
        conversation = await self._store.get_conversation(conversation_id)
        language = conversation.language
        return await self._outbound.notify(
            conversation_id,
            Utterance(
                text=self._phrases.get(MessageKind.RATING_REQUEST, language),
                buttons=tuple(Button(str(n), payloads.rate(n)) for n in range(1, 6)),
                meta={
                    "kind": MessageKind.RATING_REQUEST,
                    "conversation_id": str(conversation_id),
                    "agent_id": agent_id,
                },
            ),
        )

    async def take_rating(
        self, customer: Customer, message: NewMessage, *, typed: bool
    ) -> tuple[Conversation, Message, tuple[Message, ...], bool] | None:
        """File a rating (``message``'s ``/rate N`` payload) in the conversation that asked.

        A press counts whenever a request was made (its buttons stay under it); a rating
        the customer typed (``typed``: "5", "fem stjerner") only right after the request:
        while it is the latest line the customer read (a rating is always thanked, so
        none was given since), the bot's reply to a "thanks!" or "ok" aside. Later, "5" is
        something else, and goes the way of any message.

        Returns:
            The conversation, the stored message, the replies and whether it was a
            redelivery; None when the payload is no rating or nothing asked for one.
        """
        rating = payloads.rating_of(message.meta.get("payload"))
        if rating is None:
            return None
        seen = await self._store.customer_messages(customer.id)
        requests = [
            m
            for m in seen
            if m.sender is SenderKind.BOT and MessageKind.of(m.meta) is MessageKind.RATING_REQUEST
        ]
        if not requests:
            return None
        request = requests[-1]
        conversation = await self._store.get_conversation(request.conversation_id)
        if typed and _read_last(seen) != request.id:
            return None
        stored, created = await self._store.append_message(
            conversation.id, replace(message, text=message.text or str(rating))
        )
        if not created:
            return conversation, stored, tuple(await self._store.replies_to(stored.id)), True
        # One rating per conversation: a second press is thanked but not counted twice.
        if not any(f.rating is not None for f in await self._store.feedback(conversation.id)):
            credited = request.meta.get("agent_id")
            await self._store.record_feedback(
                conversation.id,
                message_id=request.id,
                agent_id=int(credited) if credited is not None else None,
                rating=rating,
            )
        self._feed.publish(customer.id, DESK)
        thanks = Utterance(
            text=self._phrases.get("rating_thanks", conversation.language),
            meta={"kind": MessageKind.RATING_THANKS, "rating": rating},
        )
        replies = await self._outbound.reply(customer, conversation, stored, [thanks])
        return conversation, stored, tuple(replies), False

    # Agents -------------------------------------------------------------------------

    async def requeue_inactive(self, conversation_id: UUID, agent_id: int) -> Message:
        """Put a conversation whose agent went silent back in the queue; tell the customer.

        Raises:
            NotOwner: the agent no longer owns the conversation.
        """
        announced = has_joined(await self.since_assignment(conversation_id), agent_id)
        conversation = await self._store.release(conversation_id, agent_id)
        self._feed.publish(DESK)
        agent = await self._store.get_agent(agent_id)
        # A name the customer never read ("Maria could not reply") would blame a stranger.
        told = await self._system(
            conversation,
            MessageKind.AGENT_INACTIVE,
            agent=agent,
            queued=True,
            phrase=None if announced else "agent_inactive_unannounced",
        )
        await self.assign_waiting(conversation_id)  # to someone else: routing skips the silent one
        return told

    async def claim(self, conversation_id: UUID, agent_id: int) -> Message:
        """Give a queued conversation to an agent and tell the customer who joined.

        Raises:
            AlreadyClaimed: another agent was first, or the conversation is not queued.
        """
        conversation = await self._store.claim(conversation_id, agent_id)
        agent = await self._store.get_agent(agent_id)
        team = self.team_name(conversation.team, conversation.language)
        key = MessageKind.AGENT_JOINED if team else MessageKind.AGENT_JOINED_NO_TEAM
        return await self._system(conversation, key, agent=agent, team=team)

    async def agent_reply(
        self,
        conversation_id: UUID,
        agent_id: int,
        text: str,
        *,
        external_id: str | None = None,
        files: Sequence[NewAttachment] = (),
    ) -> Message:
        """Send an agent's message to the customer; the agent must own the conversation.

        Args:
            conversation_id: the conversation.
            agent_id: who writes.
            text: what they wrote (may be empty when files go).
            external_id: makes a resent form idempotent.
            files: checked files sent with the message (kept with the conversation).

        Raises:
            NotOwner: another agent owns it (NotWithAgent: no agent does).
            IllegalTransition: it is closed.
            NotFound: no such conversation.
            MessageRejected: no text and no file.
        """
        text = clean_text(text)
        if not text and not files:
            raise MessageRejected("empty message")
        conversation = await self._store.get_conversation(conversation_id)
        check_owner(
            conversation_id,
            conversation.state,
            closed=conversation.closed_at is not None,
            owner_agent_id=conversation.owner_agent_id,
            agent_id=agent_id,
            act="reply",
        )
        await self.join(conversation_id, agent_id)  # the first reply is also a look
        customer = await self._store.get_customer(conversation.customer_id)
        refs = [await self._store.add_attachment(customer.id, file) for file in files]
        meta: dict[str, Any] = {}
        if refs:
            meta[attachments.META_KEY] = [ref.to_meta() for ref in refs]
            if not text:
                meta[attachments.ONLY_FILES] = True
        message = await self._outbound.send(
            customer,
            conversation,
            NewMessage(
                sender=SenderKind.AGENT,
                text=text or ", ".join(ref.name for ref in refs),
                agent_id=agent_id,
                external_id=external_id,
                meta=meta,
            ),
        )
        await self._store.link_attachments(message.id, customer.id, [ref.id for ref in refs])
        return message

    async def release(self, conversation_id: UUID, agent_id: int) -> Message:
        """Put a conversation back in the queue. Raises NotOwner."""
        conversation = await self._store.release(conversation_id, agent_id)
        agent = await self._store.get_agent(agent_id)
        told = await self._system(conversation, MessageKind.RELEASED, agent=agent, queued=True)
        await self.assign_waiting(conversation_id)  # to someone else: routing skips the releaser
        return told

    async def resolve(self, conversation_id: UUID, agent_id: int) -> Message:
        """Tell the customer the conversation is resolved, then close it.

        Raises:
            NotOwner: another agent owns it (NotWithAgent: no agent does).
            IllegalTransition: it is closed already.
            NotFound: no such conversation.
        """
        conversation = await self._store.get_conversation(conversation_id)
        # Checked before the customer is told; the store checks again as it closes it.
        check_move(
            conversation_id,
            Move.RESOLVE,
            conversation.state,
            closed=conversation.closed_at is not None,
            owner_agent_id=conversation.owner_agent_id,
            agent_id=agent_id,
        )
        agent = await self._store.get_agent(agent_id)
        message = await self._system(conversation, MessageKind.RESOLVED, agent=agent)
        await self._store.resolve(conversation_id, agent_id=agent_id)
        self._feed.publish(DESK)
        await self.ask_satisfaction(conversation_id, agent_id=agent_id)
        await self.dispatch_queue()  # the agent has room for the next waiting customer
        return message

    async def _system(
        self,
        conversation: Conversation,
        kind: MessageKind,
        *,
        agent: Agent,
        team: str | None = None,
        queued: bool = False,
        phrase: str | None = None,
    ) -> Message:
        """Tell the customer what an agent did; ``queued``: it put them back in a queue;
        ``phrase``: the sentence to say, when not the kind's own."""
        customer = await self._store.get_customer(conversation.customer_id)
        text = self._phrases.get(phrase or kind, conversation.language, agent=agent.name, team=team)
        if queued and self._status is not None:
            # "Back in the queue for the next person" at night, or with nobody else online,
            # would read as "soon": said with why not, as the queue's other replies are.
            language = conversation.language or self._phrases.default_language
            away = await self._status.away_reminder(
                conversation.team, conversation.updated_at, language
            )
            text = text if away is None else f"{text} {away}"
        meta: dict[str, Any] = {"kind": kind}
        if kind is MessageKind.AGENT_JOINED and team:
            meta[JOINED_TEAM] = team
        return await self._outbound.send(
            customer,
            conversation,
            NewMessage(sender=SenderKind.SYSTEM, text=text, agent_id=agent.id, meta=meta),
        )
