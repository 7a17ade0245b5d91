"""Channel-agnostic value types of the human desk.

These frozen dataclasses cross package boundaries; ORM rows never do.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


class ConversationState(enum.StrEnum):
    """Who is handling a conversation (the state diagram of docs/architecture.md)."""

    BOT = "bot"
    QUEUED = "queued"
    AGENT = "agent"


class SenderKind(enum.StrEnum):
    """Who wrote a transcript message."""

    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"


class MessageKind(enum.StrEnum):
    """What a bot or system message is, kept in its meta as ``"kind"``.

    The transcript is read back by kind (the dialogue's memory, the handoff card, metrics,
    the web chat), so every kind is named here once. A bot message's kind is also the key
    of its phrase where it has one.
    """

    # The knowledge actions.
    ANSWER = "answer"
    CLARIFY = "clarify"
    FALLBACK = "fallback"
    HANDOFF = "handoff"
    NOTICE = "notice"
    # The bot's own replies.
    SMALL_TALK = "small_talk"
    GREETING = "greeting"
    HELP = "help"
    UNSUPPORTED = "unsupported"
    ENDED = "ended"
    FLOOD = "flood"
    TOO_LONG = "too_long"
    STILL_QUEUED = "still_queued"
    WITH_AGENT = "with_agent"
    ATTACHMENT_KEPT = "attachment_kept"
    ATTACHMENT_QUEUED = "attachment_queued"
    HELPFUL_THANKS = "helpful_thanks"
    OFFER_PERSON = "offer_person"
    RATING_REQUEST = "rating_request"
    RATING_THANKS = "rating_thanks"
    # The desk's status.
    EXPECTED_WAIT = "expected_wait"
    WAIT_UPDATE = "wait_update"
    # No longer sent (the handoff acknowledgement says when people are back); kept so
    # that transcripts stored before still read.
    OUT_OF_HOURS = "out_of_hours"
    EMAIL_ASK = "email_ask"
    EMAIL_SAVED = "email_saved"
    EMAIL_SKIPPED = "email_skipped"
    # System messages about agents.
    AGENT_JOINED = "agent_joined"
    AGENT_JOINED_NO_TEAM = "agent_joined_no_team"
    TRANSFERRED_TEAM = "transferred_team"
    # Passed to a colleague, who is announced when they open the conversation or reply.
    TRANSFERRED_AGENT = "transferred_agent"
    HANDED_BACK = "handed_back"
    AGENT_INACTIVE = "agent_inactive"
    RELEASED = "released"
    RESOLVED = "resolved"

    @classmethod
    def of(cls, meta: Mapping[str, Any]) -> MessageKind | None:
        """The kind a message's meta names, or None (customer and agent messages)."""
        value = meta.get("kind")
        try:
            return cls(value) if isinstance(value, str) else None
        except ValueError:
            return None


#: In the meta of an ``agent_joined`` message: the agent's team by the name the customer was
#: told ("Maria from IT support has joined"), which the web chat's header shows beside hers.
JOINED_TEAM = "team_name"


class HandoffReason(enum.StrEnum):
    """Why the bot handed a conversation to people."""

    CUSTOMER_ASKED = "customer_asked"
    REPEATED_FALLBACK = "repeated_fallback"
    NOT_HELPFUL = "not_helpful"
    ARTICLE_REQUIRES_HUMAN = "article_requires_human"
    FRUSTRATION = "frustration"
    ALWAYS_HUMAN_TOPIC = "always_human_topic"


class Presence(enum.StrEnum):
    """Whether an agent takes new conversations (set in the console)."""

    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class DeliveryStatus(enum.StrEnum):
    """Outbound delivery of a message to the customer's channel."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """How delivering one stored message went.

    Attributes:
        message_id: the message.
        status: sent or failed.
        error: why it failed.
        channel_ref: where it landed on the channel (kept in its meta, so a later status
            update can edit it in place).
    """

    message_id: int
    status: DeliveryStatus
    error: str | None = None
    channel_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """A person writing to us, identified by their channel and their id on it."""

    id: int
    channel: str
    external_id: str
    display_name: str | None
    language: str | None
    unreachable_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Conversation:
    """One support conversation of a customer; closed when resolved."""

    id: UUID
    customer_id: int
    channel: str
    state: ConversationState
    owner_agent_id: int | None
    team: str | None
    language: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    last_seq: int


@dataclass(frozen=True, slots=True)
class Button:
    """A quick reply offered with a message: what it shows and what it sends back."""

    title: str
    payload: str


# The ``Message.meta`` key under which a channel keeps its own id of a customer message,
# so that the customer's later edit of it can be found.
CHANNEL_REF = "channel_ref"


@dataclass(frozen=True, slots=True)
class Message:
    """One entry of the append-only transcript.

    ``seq`` orders messages within their conversation (1, 2, 3, ... without gaps).
    """

    id: int
    conversation_id: UUID
    seq: int
    sender: SenderKind
    text: str
    created_at: datetime
    agent_id: int | None = None
    agent_name: str | None = None
    external_id: str | None = None
    reply_to: int | None = None
    buttons: tuple[Button, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    delivery: DeliveryStatus = DeliveryStatus.SENT
    delivery_error: str | None = None
    edited_text: str | None = None
    edited_at: datetime | None = None


class Said(Protocol):
    """What a turn reads of an earlier message: who said what, with its meta.

    Both :class:`Message` and the lighter :class:`TranscriptLine` are such.
    """

    @property
    def id(self) -> int: ...

    @property
    def seq(self) -> int: ...

    @property
    def sender(self) -> SenderKind: ...

    @property
    def text(self) -> str: ...

    @property
    def meta(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """An earlier message as a turn reads it back (:class:`Said`): the parts of a
    :class:`Message` that the dialogue's memory is rebuilt from, without its buttons,
    delivery state or times, which a turn never reads and which cost the most to load."""

    id: int
    seq: int
    sender: SenderKind
    text: str
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class NewMessage:
    """What a caller hands the store to append to a transcript."""

    sender: SenderKind
    text: str
    agent_id: int | None = None
    external_id: str | None = None
    reply_to: int | None = None
    buttons: tuple[Button, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)
    delivery: DeliveryStatus = DeliveryStatus.SENT


@dataclass(frozen=True, slots=True)
class Received:
    """A customer message as stored, with whose it is and where it went."""

    customer: Customer
    conversation: Conversation
    message: Message
    created: bool  # False: a redelivery of a message stored before
    history: tuple[TranscriptLine, ...] = ()  # the messages before it, oldest first, when asked


@dataclass(frozen=True, slots=True)
class Handoff:
    """A request for people to take over a conversation."""

    id: int
    conversation_id: UUID
    reason: HandoffReason
    team: str | None
    requested_at: datetime
    claimed_at: datetime | None
    resolved_at: datetime | None
    agent_id: int | None
    summary: str | None
    promised_wait_s: int | None
    detail: str | None = None
    released_by: int | None = None
    promised_low_s: int | None = None  # the range the customer was told, as they read it
    promised_high_s: int | None = None


@dataclass(frozen=True, slots=True)
class Agent:
    """A person on the desk. ``name`` is what customers see."""

    id: int
    login: str
    name: str
    teams: tuple[str, ...]
    languages: tuple[str, ...]
    capacity: int
    is_admin: bool
    active: bool
    presence: Presence = Presence.OFFLINE
    last_seen_at: datetime | None = None
    last_assigned_at: datetime | None = None
    working_hours: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Changes when the agent's console sessions must end (logout, new password,
    #: deactivation); a session made under another value is no longer valid.
    session_epoch: int = 0


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """A conversation waiting for people, as the console's queue shows it."""

    conversation: Conversation
    handoff: Handoff
    customer: Customer
    position: int
    last_customer_text: str | None


@dataclass(frozen=True, slots=True)
class SavedReply:
    """A text an agent inserts with ``/shortcut``: a team's (``team`` set) or personal
    (``agent_id`` set). ``{customer_name}`` and ``{agent_name}`` are filled when inserted."""

    id: int
    shortcut: str
    text: str
    team: str | None
    agent_id: int | None


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """An open conversation with people (waiting or owned), as the console's inbox lists it.

    ``last_customer_seq`` is the transcript position of the customer's latest message: the
    console marks a conversation unread while the agent has not seen that far.
    """

    conversation: Conversation
    handoff: Handoff
    customer: Customer
    last_customer_text: str | None
    last_customer_seq: int


@dataclass(frozen=True, slots=True)
class Notice:
    """A status notice staff post for customers, with a text per language."""

    id: int
    texts: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    audience: str | None


@dataclass(frozen=True, slots=True)
class Feedback:
    """A customer's verdict: on an answer (``helpful``) or on a conversation (``rating``).

    ``agent_id`` is the agent credited; None credits the bot.
    """

    id: int
    conversation_id: UUID
    message_id: int | None
    agent_id: int | None
    helpful: bool | None
    rating: int | None
    created_at: datetime
