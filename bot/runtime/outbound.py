"""Store replies, then deliver them through the channels.

Replies are stored before they are delivered; on push channels (Telegram) as pending
first, so a crash between the two leaves them to be delivered again when the same update
arrives once more.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from bot.dialogue.turns import Utterance
from bot.errors import DeliveryFailed
from bot.runtime.feed import DESK, ChangeFeed
from bot.runtime.incoming import Delivery, EditingDelivery, ReferencingDelivery
from handoff.model import (
    Conversation,
    Customer,
    DeliveryOutcome,
    DeliveryStatus,
    Message,
    NewMessage,
    SenderKind,
)
from handoff.store.port import Store

if TYPE_CHECKING:
    from bot.service.metrics import RuntimeObserver

log = logging.getLogger(__name__)


class TranscriptListener(Protocol):
    """Told about each message stored in a conversation (the Telegram staff group mirrors
    them into its topics). A listener's failure is logged; the conversation goes on."""

    async def message_stored(self, conversation_id: UUID, message: Message) -> None:
        """``message`` was stored in the conversation (and, if outbound, delivered)."""


class Outbound:
    """Stores and delivers what the bot and the agents say to customers."""

    def __init__(
        self, *, store: Store, feed: ChangeFeed, metrics: RuntimeObserver | None = None
    ) -> None:
        self._store = store
        self._feed = feed
        self._metrics = metrics
        self._deliveries: dict[str, Delivery] = {}
        self._listeners: list[TranscriptListener] = []

    def register_delivery(self, channel: str, delivery: Delivery) -> None:
        """Push ``channel``'s messages through ``delivery`` (wired once, at start-up)."""
        self._deliveries[channel] = delivery

    def add_listener(self, listener: TranscriptListener) -> None:
        """Tell ``listener`` about every stored message (wired once, at start-up)."""
        self._listeners.append(listener)

    async def reply(
        self,
        customer: Customer,
        conversation: Conversation,
        reply_to: Message,
        utterances: Sequence[Utterance],
    ) -> list[Message]:
        """Store and deliver the bot's replies to a customer message."""
        replies = [
            NewMessage(
                sender=SenderKind.BOT,
                text=utterance.text,
                reply_to=reply_to.id,
                buttons=utterance.buttons,
                meta=dict(utterance.meta),
            )
            for utterance in utterances
        ]
        return await self.send_all(customer, conversation, replies)

    async def notify(
        self, conversation_id: UUID, utterance: Utterance, *, replaces: Message | None = None
    ) -> Message:
        """Send the customer a bot message nobody asked for (a timer's status update).

        Args:
            conversation_id: whose customer to tell.
            utterance: what to say.
            replaces: an earlier status message the channel should edit into this one,
                where it can; elsewhere the message is sent as a new one. The transcript
                keeps both either way.
        """
        conversation = await self._store.get_conversation(conversation_id)
        customer = await self._store.get_customer(conversation.customer_id)
        new = NewMessage(
            sender=SenderKind.BOT,
            text=utterance.text,
            buttons=utterance.buttons,
            meta=dict(utterance.meta),
        )
        return await self.send(customer, conversation, new, replaces=replaces)

    async def send(
        self,
        customer: Customer,
        conversation: Conversation,
        new: NewMessage,
        *,
        replaces: Message | None = None,
    ) -> Message:
        """Store and deliver one message (see :meth:`send_all`)."""
        [stored] = await self.send_all(customer, conversation, [new], replaces=replaces)
        return stored

    async def send_all(
        self,
        customer: Customer,
        conversation: Conversation,
        news: Sequence[NewMessage],
        *,
        replaces: Message | None = None,
    ) -> list[Message]:
        """Store outbound messages in one transaction, then deliver them one by one.

        Push channels get them stored as pending first, so a crash before the channel
        took them leaves them to be delivered again (see :meth:`redeliver`).
        """
        if not news:
            return []
        delivery = self._deliveries.get(customer.channel)
        if delivery is None:
            # Pull channels (web chat, terminal) read the transcript themselves.
            appended = await self._store.append_messages(conversation.id, news)
            self._feed.publish(customer.id, DESK)
            for stored, created in appended:
                if created:
                    self._observe(customer, stored)
                    await self.tell_listeners(conversation.id, stored)
            return [stored for stored, _ in appended]
        pending = [dataclasses.replace(new, delivery=DeliveryStatus.PENDING) for new in news]
        appended = await self._store.append_messages(conversation.id, pending)
        self._feed.publish(customer.id, DESK)
        delivered: list[Message] = []
        outcomes: list[DeliveryOutcome] = []
        for stored, created in appended:
            if not created and stored.delivery is not DeliveryStatus.PENDING:
                # A retried request (same external id): the message went out, or failed
                # visibly, the first time; sending it again would show it twice.
                continue
            self._observe(customer, stored)
            outcomes.append(await self._deliver(delivery, customer, stored, replaces=replaces))
            delivered.append(stored)
        # One write for all the outcomes: a crash before it leaves the replies pending, to
        # be delivered again with the update's redelivery, as a crash between any send
        # and its own write would.
        await self._store.record_deliveries(outcomes)
        for stored in delivered:
            await self.tell_listeners(conversation.id, stored)
        return [stored for stored, _ in appended]

    async def redeliver(self, customer: Customer, replies: Sequence[Message]) -> None:
        """Deliver stored replies that a crash left undelivered (a redelivered update)."""
        delivery = self._deliveries.get(customer.channel)
        if delivery is None:
            return
        outcomes = [
            await self._deliver(delivery, customer, reply, replaces=None)
            for reply in replies
            if reply.delivery is DeliveryStatus.PENDING
        ]
        await self._store.record_deliveries(outcomes)

    async def tell_listeners(self, conversation_id: UUID, stored: Message) -> None:
        """Tell the listeners about a stored message; a listener's failure is only logged."""
        for listener in self._listeners:
            try:
                await listener.message_stored(conversation_id, stored)
            except Exception:
                # A mirror of the conversation must never break the conversation itself.
                log.exception("listener failed conversation=%s", conversation_id)

    async def _deliver(
        self,
        delivery: Delivery,
        customer: Customer,
        stored: Message,
        *,
        replaces: Message | None,
    ) -> DeliveryOutcome:
        """Send one stored message; the outcome is for the store to record."""
        ref: str | None = None
        try:
            if replaces is not None and isinstance(delivery, EditingDelivery):
                await delivery.edit(customer, replaces, stored)
            elif isinstance(delivery, ReferencingDelivery):
                ref = await delivery.push(customer, stored)
            else:
                await delivery.deliver(customer, stored)
        except DeliveryFailed as exc:
            log.warning(
                "delivery failed conversation=%s: %s",
                stored.conversation_id,
                exc.reason,
                extra={
                    "conversation_id": str(stored.conversation_id),
                    "channel": customer.channel,
                },
            )
            if self._metrics is not None:
                self._metrics.delivery_failed(customer.channel)
            return DeliveryOutcome(stored.id, DeliveryStatus.FAILED, error=exc.reason)
        return DeliveryOutcome(stored.id, DeliveryStatus.SENT, channel_ref=ref)

    def _observe(self, customer: Customer, stored: Message) -> None:
        if self._metrics is not None:
            self._metrics.message_stored(customer.channel, stored)
