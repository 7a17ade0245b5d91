"""What crosses between channels and the runtime: incoming messages and delivery ports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from handoff.attachments import AttachmentRef
from handoff.model import Conversation, Customer, Message


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """A customer message as a channel adapter hands it over.

    Attributes:
        channel: the channel's name ("web", "telegram", "terminal").
        sender_id: the customer's stable id on that channel.
        external_id: a stable id of this message; a redelivery carries the same one.
        text: what the customer wrote (a pressed button's title when ``payload`` is set).
        payload: what a pressed button sends back, e.g. ``/human``.
        reference: the channel's own id of the message, kept so a later edit finds it.
        attachments: files the customer sent with it, already kept by the store.
        registered: the sender must be a stored customer already (a web chat token):
            an unknown one raises UnknownSender and nothing is stored. Checked in the
            transaction that stores the message, so the check costs no trip of its own.
    """

    channel: str
    sender_id: str
    external_id: str
    text: str
    display_name: str | None = None
    payload: str | None = None
    reference: str | None = None
    attachments: tuple[AttachmentRef, ...] = ()
    registered: bool = False


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


@runtime_checkable
class EditingDelivery(Delivery, Protocol):
    """A delivery that can also replace a message it delivered earlier (Telegram can)."""

    async def edit(self, customer: Customer, previous: Message, message: Message) -> None:
        """Show ``message`` in place of ``previous`` on the channel. Raises DeliveryFailed."""
        ...


@runtime_checkable
class ReferencingDelivery(Delivery, Protocol):
    """A delivery that says where a message landed instead of recording it itself.

    The runtime then records that with the outcomes of a turn's other replies, in one
    write to the store instead of two for each reply.
    """

    async def push(self, customer: Customer, message: Message) -> str | None:
        """Send ``message``; return the channel's reference of it, if it has one.

        Raises:
            DeliveryFailed: the channel refused it or kept failing.
        """
        ...


def clean_text(text: str) -> str:
    """Make text storable everywhere: no NUL, no lone surrogates, no surrounding space."""
    text = text.encode("utf-8", errors="replace").decode("utf-8")
    return text.replace("\x00", "\ufffd").strip()
