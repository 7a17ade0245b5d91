"""The store port: everything the rest of Helpline may ask of persistence.

The SQL implementation lives in :mod:`handoff.store.sql`; this module stays free of
SQLAlchemy so that callers depend on the contract, not on the database library.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol
from uuid import UUID

from handoff.model import (
    Agent,
    Conversation,
    Customer,
    DeliveryStatus,
    Handoff,
    HandoffReason,
    Message,
    NewMessage,
    Notice,
    QueueEntry,
)


class Store(Protocol):
    """Async persistence of customers, conversations, transcripts, agents and notices.

    Every method is one database transaction. Writes on SQLite take the write lock up
    front (``BEGIN IMMEDIATE``) so concurrent writers wait instead of failing.
    """

    async def close(self) -> None:
        """Release the connection pool."""

    # Customers and conversations -------------------------------------------------

    async def upsert_customer(
        self,
        *,
        channel: str,
        external_id: str,
        display_name: str | None = None,
        language: str | None = None,
    ) -> Customer:
        """Return the customer with this channel identity, creating it when new.

        A given ``display_name`` or ``language`` replaces the stored one.
        """

    async def get_customer(self, customer_id: int) -> Customer:
        """Raises NotFound."""

    async def find_customer(self, *, channel: str, external_id: str) -> Customer | None:
        """The customer with this channel identity, or None."""

    async def open_conversation(self, customer_id: int) -> Conversation:
        """Return the customer's open conversation, starting one in state BOT if none is open."""

    async def get_conversation(self, conversation_id: UUID) -> Conversation:
        """Raises NotFound."""

    async def set_conversation_language(self, conversation_id: UUID, language: str) -> None:
        """Remember the language the conversation is held in."""

    # Transcript -------------------------------------------------------------------

    async def append_message(
        self, conversation_id: UUID, message: NewMessage
    ) -> tuple[Message, bool]:
        """Append to the transcript; idempotent on ``message.external_id``.

        Returns:
            The stored message and whether it was created now (False when a message
            with the same external id exists: that one is returned unchanged).

        Raises:
            NotFound: no such conversation.
        """

    async def transcript(self, conversation_id: UUID, *, after_seq: int = 0) -> list[Message]:
        """Messages of one conversation with ``seq > after_seq``, in order."""

    async def customer_messages(self, customer_id: int, *, after_id: int = 0) -> list[Message]:
        """Messages of all the customer's conversations with ``id > after_id``, oldest first."""

    async def replies_to(self, message_id: int) -> list[Message]:
        """Messages stored as replies to the given message, in order."""

    async def set_delivery(
        self, message_id: int, status: DeliveryStatus, *, error: str | None = None
    ) -> None:
        """Record the outcome of delivering a message to the customer's channel."""

    # Handoff and ownership --------------------------------------------------------

    async def request_handoff(
        self,
        conversation_id: UUID,
        *,
        reason: HandoffReason,
        team: str | None = None,
        summary: str | None = None,
        promised_wait_s: int | None = None,
    ) -> Handoff:
        """Move a BOT conversation to QUEUED and open a handoff.

        Raises:
            IllegalTransition: the conversation is not with the bot.
        """

    async def current_handoff(self, conversation_id: UUID) -> Handoff | None:
        """The conversation's handoff that is not resolved yet, if any."""

    async def queue_position(self, conversation_id: UUID) -> int | None:
        """1-based place of a QUEUED conversation in its team's queue (None if not queued)."""

    async def queue(self, *, team: str | None = None) -> list[QueueEntry]:
        """QUEUED conversations, oldest handoff first; all teams when ``team`` is None."""

    async def claim(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Give a QUEUED conversation to an agent, exclusively, even under concurrency.

        Raises:
            AlreadyClaimed: another agent won, or the conversation is not queued.
            NotFound: no such conversation or agent.
        """

    async def release(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Put an AGENT conversation back in the queue. Raises NotOwner."""

    async def resolve(self, conversation_id: UUID, *, agent_id: int | None) -> Conversation:
        """Close the conversation (state BOT, ``closed_at`` set) and its handoff.

        With an ``agent_id`` the agent must own it (NotOwner otherwise).
        """

    async def agent_conversations(self, agent_id: int) -> list[Conversation]:
        """Open conversations the agent owns, oldest first."""

    async def recent_conversations(self, *, limit: int = 50) -> list[Conversation]:
        """Most recently updated conversations, newest first."""

    # Agents -----------------------------------------------------------------------

    async def add_agent(
        self,
        *,
        login: str,
        name: str,
        password_hash: str,
        teams: Sequence[str] = (),
        languages: Sequence[str] = (),
        capacity: int = 3,
        is_admin: bool = False,
    ) -> Agent:
        """Raises DuplicateLogin."""

    async def get_agent(self, agent_id: int) -> Agent:
        """Raises NotFound."""

    async def agent_credentials(self, login: str) -> tuple[Agent, str] | None:
        """The agent with this login and their password hash, or None."""

    async def list_agents(self) -> list[Agent]:
        """All agents, by login."""

    async def set_password_hash(self, agent_id: int, password_hash: str) -> None:
        """Replace an agent's password hash (after a change or a rehash)."""

    # Notices and audit ------------------------------------------------------------

    async def post_notice(
        self,
        *,
        texts: dict[str, str],
        starts_at: datetime,
        ends_at: datetime | None,
        audience: str | None = None,
    ) -> Notice:
        """Store a status notice."""

    async def active_notices(self, now: datetime) -> list[Notice]:
        """Notices whose window contains ``now``, oldest first."""

    async def audit(self, *, actor: str, action: str, target: str, detail: str = "") -> None:
        """Append to the audit log (who did what, when). Never stores message content."""
