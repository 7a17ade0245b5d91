"""The store port: everything the rest of Helpline may ask of persistence.

The SQL implementation lives in :mod:`handoff.store.sql`; this module stays free of
SQLAlchemy so that callers depend on the contract, not on the database library.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Protocol
from uuid import UUID

from handoff.attachments import AttachmentRef, NewAttachment, StoredFile
from handoff.avatars import Avatar, NewAvatar
from handoff.model import (
    Agent,
    Conversation,
    Customer,
    DeliveryOutcome,
    Feedback,
    Handoff,
    HandoffReason,
    InboxEntry,
    Message,
    NewMessage,
    Notice,
    Presence,
    QueueEntry,
    Received,
    SavedReply,
)
from handoff.privacy import CustomerRecord, Erasure
from handoff.reply_mail import ReplyMailState
from handoff.stats import PeriodActivity
from handoff.timers import Timer, TimerKind


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

    async def receive_message(
        self,
        *,
        channel: str,
        sender_id: str,
        message: NewMessage,
        display_name: str | None = None,
        language: str | None = None,
        history: int = 0,
        create_customer: bool = True,
    ) -> Received:
        """Store a customer's message in their open conversation, in one transaction.

        Creates the customer (unless ``create_customer`` is False: then an unknown sender
        raises NotFound and nothing is stored; sets ``display_name`` when given) and the
        conversation as needed, and clears the customer's unreachable flag (they write
        again, so their channel takes messages); ``language`` (the message's, when
        detected) becomes the conversation's. Up to ``history`` messages of the
        conversation before this one come back with it, as
        :class:`~handoff.model.TranscriptLine` (none for a redelivery).
        Idempotent on ``message.external_id``: a redelivered message returns the stored
        one and the conversation it went to, and opens nothing.
        """

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

    async def append_messages(
        self, conversation_id: UUID, messages: Sequence[NewMessage]
    ) -> list[tuple[Message, bool]]:
        """Append several messages in order, in one transaction; each as in
        :meth:`append_message`. Raises NotFound."""

    async def transcript(self, conversation_id: UUID, *, after_seq: int = 0) -> list[Message]:
        """Messages of one conversation with ``seq > after_seq``, in order."""

    async def customer_messages(self, customer_id: int, *, after_id: int = 0) -> list[Message]:
        """Messages of all the customer's conversations with ``id > after_id``, oldest first.

        Agents' internal notes are left out: this is what the customer may see.
        """

    async def add_note(self, conversation_id: UUID, agent_id: int, text: str) -> Message:
        """Append an agent's internal note (meta ``internal``): staff see it, customers never.

        Raises:
            NotFound: no such conversation or agent.
        """

    async def add_attachment(self, customer_id: int, file: NewAttachment) -> AttachmentRef:
        """Keep a checked file of the customer's conversation (no message yet)."""

    async def link_attachments(self, message_id: int, customer_id: int, ids: Sequence[str]) -> None:
        """Give the customer's files (not yet on a message) to the message carrying them."""

    async def get_attachment(self, attachment_id: str) -> StoredFile:
        """A kept file with its content. Raises NotFound."""

    async def replies_to(self, message_id: int) -> list[Message]:
        """Messages stored as replies to the given message, in order."""

    async def record_deliveries(self, outcomes: Sequence[DeliveryOutcome]) -> None:
        """Record how delivering several messages went, in one transaction.

        Raises:
            NotFound: one of the messages does not exist (nothing is recorded).
        """

    # Handoff and ownership --------------------------------------------------------

    async def request_handoff(
        self,
        conversation_id: UUID,
        *,
        reason: HandoffReason,
        team: str | None = None,
        summary: str | None = None,
        promised_wait_s: int | None = None,
        detail: str | None = None,
    ) -> Handoff:
        """Move a BOT conversation to QUEUED and open a handoff.

        ``detail`` says what exactly set it off (e.g. which word), for ``handoff explain``.

        Raises:
            IllegalTransition: the conversation is not with the bot.
        """

    async def record_promise(
        self, conversation_id: UUID, *, low_s: int, high_s: int, point_s: int
    ) -> None:
        """Keep the wait range a queued customer was told with their open handoff;
        nothing happens when no handoff is open."""

    async def recent_handoffs(self, *, since: datetime, limit: int) -> list[Handoff]:
        """The handoffs requested at or after ``since``, newest first, at most ``limit``."""

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

    async def inbox(self, *, search: str | None = None) -> list[InboxEntry]:
        """Open conversations waiting for or owned by agents (optionally matching a search)."""

    async def customer_conversations(
        self, customer_id: int, *, limit: int = 10
    ) -> list[Conversation]:
        """The customer's conversations, newest first."""

    async def saved_replies(
        self, *, agent_id: int | None = None, teams: Sequence[str] | None = None
    ) -> list[SavedReply]:
        """Saved replies by shortcut: the agent's own and their teams' (all when both None)."""

    async def add_saved_reply(
        self,
        *,
        shortcut: str,
        text: str,
        team: str | None = None,
        agent_id: int | None = None,
        actor: str,
    ) -> SavedReply:
        """Save a team's reply or an agent's own. Raises DuplicateShortcut."""

    async def delete_saved_reply(self, reply_id: int, *, actor: str) -> SavedReply:
        """Delete a saved reply. Raises NotFound."""

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

    async def set_agent_avatar(self, agent_id: int, avatar: NewAvatar | None) -> None:
        """Keep a checked picture of the agent (replacing any), or with None remove it.

        Raises:
            NotFound: no such agent.
        """

    async def agent_avatar(self, agent_id: int) -> Avatar:
        """The agent's picture. Raises NotFound (no such agent, or no picture)."""

    async def avatar_versions(self) -> dict[int, int]:
        """The version of each agent's picture, for the agents that have one."""

    async def set_password_hash(
        self, agent_id: int, password_hash: str, *, end_sessions: bool = True
    ) -> None:
        """Replace an agent's password hash; a change (not a rehash) ends their sessions."""

    async def end_sessions(self, agent_id: int) -> None:
        """End every console session of an agent (raise their ``session_epoch``)."""

    # Desk: agent profiles, presence, routing, transfers, feedback ----------------------

    async def update_agent(
        self,
        agent_id: int,
        *,
        name: str | None = None,
        teams: Sequence[str] | None = None,
        languages: Sequence[str] | None = None,
        capacity: int | None = None,
        working_hours: Mapping[str, Sequence[str]] | None = None,
        is_admin: bool | None = None,
        active: bool | None = None,
    ) -> Agent:
        """Change the given fields of an agent's profile. Raises NotFound."""

    async def set_presence(self, agent_id: int, presence: Presence) -> Agent:
        """Set an agent's presence (also counts as console activity). Raises NotFound."""

    async def agent_seen(self, agent_id: int) -> None:
        """Record console activity of an agent now. Raises NotFound."""

    async def agent_loads(self) -> dict[int, int]:
        """How many open conversations each agent owns (agents with none are left out)."""

    async def assign(
        self, conversation_id: UUID, *, away_after: timedelta, time_zone: tzinfo = UTC
    ) -> Conversation | None:
        """Give a QUEUED conversation to the best available agent, choice and claim atomic.

        Agents who speak the conversation's language and are within their working hours
        (kept on ``time_zone``'s clock) go first.

        Returns None when it stays queued. Raises NotFound.
        """

    async def transfer_to_agent(
        self, conversation_id: UUID, agent_id: int, to_agent_id: int
    ) -> Conversation:
        """Hand an owned conversation to another agent. Raises NotOwner, AgentUnavailable."""

    async def transfer_to_team(
        self, conversation_id: UUID, agent_id: int, team: str
    ) -> Conversation:
        """Put an owned conversation in another team's queue. Raises NotOwner."""

    async def hand_back(self, conversation_id: UUID, agent_id: int) -> Conversation:
        """Give an owned conversation back to the bot (it stays open). Raises NotOwner."""

    async def handoffs(self, conversation_id: UUID) -> list[Handoff]:
        """Every handoff of a conversation, oldest first."""

    async def record_feedback(
        self,
        conversation_id: UUID,
        *,
        message_id: int | None = None,
        agent_id: int | None = None,
        helpful: bool | None = None,
        rating: int | None = None,
        typed_in: int | None = None,
    ) -> Feedback:
        """Store a verdict credited to ``agent_id`` (None: the bot). Raises ValueError.

        ``typed_in``: the customer's message that gave a helpful/not helpful verdict in
        words; its meta gets the "Did this help?" payload it stands for. NotFound when
        the conversation (or that message in it) does not exist.
        """

    async def feedback(self, conversation_id: UUID) -> list[Feedback]:
        """The feedback given in a conversation, oldest first."""

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

    # Knowledge gaps -------------------------------------------------------------------

    async def unanswered_messages(
        self, *, since: datetime | None = None, limit: int = 5000
    ) -> list[Message]:
        """Customer messages the bot fell back on or handed off, oldest first.

        A message counts when a bot reply to it has the meta ``kind`` ``fallback`` or
        ``handoff``. At most ``limit`` messages, the most recent ones; with ``since``,
        only those stored at or after that aware time (ValueError when naive).
        """

    # Statistics -----------------------------------------------------------------------

    async def period_activity(self, *, since: datetime, until: datetime) -> PeriodActivity:
        """The conversations started, handoffs requested and ratings given in ``[since, until)``.

        The handoffs also include every handoff of the conversations started in the period.

        Raises:
            ValueError: a bound is naive, or ``until`` is not after ``since``.
        """

    # Channels ---------------------------------------------------------------------

    async def find_message_by_ref(self, customer_id: int, ref: str) -> Message | None:
        """The customer's message whose ``meta["channel_ref"]`` is ``ref`` (the channel's id)."""

    async def record_edit(self, message_id: int, text: str) -> Message:
        """Remember a customer's edit; the original text stays. Raises NotFound."""

    async def record_channel_ref(self, message_id: int, ref: str) -> bool:
        """Remember the channel's own id of a message we delivered, so it can be edited later.

        Returns False when there is no such message (nothing to remember it on).
        """

    async def set_unreachable(self, customer_id: int, unreachable: bool) -> None:
        """Flag (or clear) that the customer's channel refuses delivery. Raises NotFound."""

    async def move_customer(self, customer_id: int, external_id: str) -> None:
        """Give the customer a new id on their channel. Raises NotFound."""

    async def telegram_topic(self, conversation_id: UUID) -> int | None:
        """The staff group's forum topic of the conversation, if any. Raises NotFound."""

    async def set_telegram_topic(self, conversation_id: UUID, topic_id: int | None) -> None:
        """Remember (or forget) the conversation's forum topic. Raises NotFound."""

    async def conversation_for_topic(self, topic_id: int) -> UUID | None:
        """The conversation a staff group forum topic belongs to, if any."""

    async def set_agent_telegram_user(self, agent_id: int, user_id: int | None) -> None:
        """Register the agent's Telegram user id (None removes it). Raises NotFound."""

    async def telegram_user_ids(self) -> dict[int, int]:
        """Each agent's registered Telegram user id, by agent id (agents without one left out)."""

    async def agent_for_telegram_user(self, user_id: int) -> Agent | None:
        """The active agent registered with this Telegram user id, if any."""

    # Timers, notice administration, retention -------------------------------------

    async def schedule_timer(
        self, kind: TimerKind, key: str, due_at: datetime, *, if_absent: bool = False
    ) -> Timer:
        """Arm the timer ``(kind, key)`` at ``due_at`` (one row per kind and key).

        A pending timer moves, a fired one is armed again; with ``if_absent`` a pending
        timer is left as it is.
        """

    async def cancel_timer(self, kind: TimerKind, key: str) -> bool:
        """Remove a pending timer; True if there was one."""

    async def get_timer(self, kind: TimerKind, key: str) -> Timer | None:
        """The timer ``(kind, key)``, pending or fired, or None."""

    async def pending_timers(self) -> list[Timer]:
        """Timers that have not fired, soonest first."""

    async def claim_due_timer(self, now: datetime) -> Timer | None:
        """Claim the most overdue timer, marking it fired; each timer is claimed once."""

    async def unclaim_timer(self, timer: Timer) -> bool:
        """Put back a timer claimed by :meth:`claim_due_timer` whose run could not finish
        for want of the database, due as it was; one armed again since is left as armed.

        Returns:
            Whether it was put back.
        """

    def timer_lead(self) -> AbstractAsyncContextManager[bool]:
        """Hold the deployment's timer lead (PostgreSQL advisory lock) if free; yields it."""

    def poller_lead(self) -> AbstractAsyncContextManager[Callable[[], Awaitable[bool]] | None]:
        """Hold the Telegram polling lead (PostgreSQL advisory lock) if free.

        Yields None when another process leads, else a check that the lead still holds.
        """

    async def get_notice(self, notice_id: int) -> Notice:
        """Raises NotFound."""

    async def list_notices(self, *, since: datetime | None = None) -> list[Notice]:
        """Notices, newest start first; with ``since``, only those not ended before it."""

    async def end_notice(self, notice_id: int, *, at: datetime, actor: str) -> Notice:
        """End a notice at ``at`` (audited). Raises NotFound."""

    async def purge_closed_conversations(self, *, closed_before: datetime, actor: str) -> int:
        """Erase conversations closed before the cut-off with their transcripts (audited)."""

    # Privacy ------------------------------------------------------------------------

    async def export_customer(self, customer_id: int) -> CustomerRecord:
        """Everything stored about one customer. Raises NotFound."""

    async def erase_customer(self, customer_id: int, *, actor: str) -> Erasure:
        """Remove the customer, their conversations and all they said (audited, no content).

        Raises NotFound.
        """

    # Replies by e-mail (handoff.reply_mail) ----------------------------------------

    async def ask_for_address(self, customer_id: int) -> bool:
        """Record that the customer is asked for an e-mail address; False if asked before."""

    async def set_reply_address(self, customer_id: int, address: str | None) -> None:
        """Keep the customer's address for replies (None: they declined)."""

    async def reply_mail_state(self, customer_id: int) -> ReplyMailState | None:
        """The customer's address and mail state, or None when never asked."""

    async def mark_seen(self, customer_id: int, through: int) -> None:
        """An open chat of the customer received the messages up to id ``through``."""

    async def claim_reply_mail(
        self, customer_id: int, through: int, *, now: datetime
    ) -> ReplyMailState | None:
        """Claim mailing the replies up to ``through`` (once across processes); None:
        nothing to send (no address, read in the chat, mailed, or being sent)."""

    async def finish_reply_mail(self, customer_id: int, through: int, *, done: bool) -> int:
        """End a claim: sent or given up (``done``), or failed; returns failed attempts."""

    async def add_web_token(self, customer_id: int, digest: str) -> None:
        """Let a further web chat token (by its digest) act as the customer."""

    async def web_token_customer(self, digest: str) -> Customer | None:
        """The customer a further web chat token belongs to, or None."""
