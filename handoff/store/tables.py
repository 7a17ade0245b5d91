"""The relational schema of the human desk (SQLAlchemy 2 declarative mapping).

These classes never leave :mod:`handoff.store`: their ``to_value`` methods turn rows into
the frozen value types of :mod:`handoff.model` before :mod:`handoff.store.sql` returns.
The initial Alembic migration creates exactly this schema, and a test keeps the two in step.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from handoff.model import (
    Agent,
    Button,
    Conversation,
    ConversationState,
    Customer,
    DeliveryStatus,
    Feedback,
    Handoff,
    HandoffReason,
    Message,
    Notice,
    Presence,
    SavedReply,
    SenderKind,
)
from handoff.reply_mail import ReplyMailState

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    SQLite has no time zones: SQLAlchemy writes the wall time and reads back a naive value.
    Converting to UTC on the way in and re-attaching UTC on the way out keeps comparisons
    and ordering right on both databases, and refuses naive input instead of guessing.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise an aware timestamp to UTC; refuse a naive one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored timestamp as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base carrying the shared metadata and naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CustomerRow(Base):
    """A channel identity (Telegram user, web chat visitor)."""

    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Channels: when the channel refused delivery for good (the user blocked the bot).
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def to_value(self) -> Customer:
        """The row as a value type."""
        return customer_value(self)


class ConversationRow(Base):
    """One support conversation; ``last_seq`` hands out transcript sequence numbers."""

    __tablename__ = "conversation"
    __table_args__ = (
        Index("ix_conversation_state_team", "state", "team"),
        Index("ix_conversation_owner_agent_id", "owner_agent_id"),
        Index("ix_conversation_updated_at", "updated_at"),
        # At most one open conversation per customer: the database, not the caller,
        # decides the race between two first messages arriving at once.
        Index(
            "uq_conversation_open_customer",
            "customer_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16))
    owner_agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    team: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Channels: the forum topic of this conversation in the Telegram staff group.
    telegram_topic_id: Mapped[int | None] = mapped_column(Integer)

    def to_value(self) -> Conversation:
        """The row as a value type."""
        return conversation_value(self)


class MessageRow(Base):
    """One append-only transcript entry."""

    __tablename__ = "message"
    __table_args__ = (UniqueConstraint("conversation_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversation.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    text: Mapped[str] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    reply_to: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON)
    delivery: Mapped[str] = mapped_column(String(16))
    delivery_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Channels: the customer edited the message; ``text`` keeps what was first said.
    edited_text: Mapped[str | None] = mapped_column(Text)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    def to_value(self, agent_name: str | None = None) -> Message:
        """The row as a value type; ``agent_name`` comes from the agent table."""
        return message_value(self, agent_name)


class AttachmentRow(Base):
    """A file sent in a conversation (image or PDF), kept apart from the transcript.

    It belongs to a customer from the moment it arrives, and to the message that carries
    it once that is stored; erasure and retention remove it with them.
    """

    __tablename__ = "attachment"

    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HandoffRow(Base):
    """A request for people to take over; open while ``resolved_at`` is NULL."""

    __tablename__ = "handoff"
    __table_args__ = (
        Index("ix_handoff_conversation_id_resolved_at", "conversation_id", "resolved_at"),
        Index("ix_handoff_requested_at", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversation.id"))
    reason: Mapped[str] = mapped_column(String(32))
    team: Mapped[str | None] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    summary: Mapped[str | None] = mapped_column(Text)
    promised_wait_s: Mapped[int | None] = mapped_column(Integer)
    # The range the customer was told ("about 10-20 minutes"), to tell whether it held.
    promised_low_s: Mapped[int | None] = mapped_column(Integer)
    promised_high_s: Mapped[int | None] = mapped_column(Integer)
    # Desk: what exactly set the handoff off, and who last gave it back to the queue
    # (routing skips that agent). No foreign key: SQLite cannot add one to a table.
    detail: Mapped[str | None] = mapped_column(String(255))
    released_by: Mapped[int | None] = mapped_column(Integer)

    def to_value(self) -> Handoff:
        """The row as a value type."""
        return handoff_value(self)


class AgentRow(Base):
    """A person on the desk. Teams and languages are short lists, kept as JSON."""

    __tablename__ = "agent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    teams: Mapped[list[str]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    capacity: Mapped[int] = mapped_column(Integer)
    is_admin: Mapped[bool] = mapped_column(Boolean)
    active: Mapped[bool] = mapped_column(Boolean)
    working_hours: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    presence: Mapped[str] = mapped_column(String(16), default="offline", server_default="offline")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Desk: last console activity (away after inactivity) and last assignment (longest idle).
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Channels: the agent's Telegram user id, which may act in the staff group.
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    # Console sessions carry the value they were made under; raising it ends them all.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    def to_value(self) -> Agent:
        """The row as a value type (without the password hash)."""
        return agent_value(self)


class AgentAvatarRow(Base):
    """An agent's picture (at most one): customers see it beside the agent's name."""

    __tablename__ = "agent_avatar"

    agent_id: Mapped[int] = mapped_column(ForeignKey("agent.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class NoticeRow(Base):
    """A status notice with one text per language."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_starts_at_ends_at", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    audience: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def to_value(self) -> Notice:
        """The row as a value type."""
        return notice_value(self)


class FeedbackRow(Base):
    """A customer's verdict on an answer (helpful or not) or on a conversation (CSAT)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("conversation.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def to_value(self) -> Feedback:
        """The row as a value type."""
        return Feedback(
            id=self.id,
            conversation_id=self.conversation_id,
            message_id=self.message_id,
            agent_id=self.agent_id,
            helpful=self.helpful,
            rating=self.rating,
            created_at=self.created_at,
        )


class AuditRow(Base):
    """Who did what, when. Never holds message content."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class SavedReplyRow(Base):
    """A saved reply: a team's (``team`` set) or one agent's (``agent_id`` set)."""

    __tablename__ = "saved_reply"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shortcut: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    team: Mapped[str | None] = mapped_column(String(64), index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    def to_value(self) -> SavedReply:
        """The row as a value type."""
        return SavedReply(
            id=self.id,
            shortcut=self.shortcut,
            text=self.text,
            team=self.team,
            agent_id=self.agent_id,
        )


class ReplyMailRow(Base):
    """Mailing a web customer's replies (:mod:`handoff.reply_mail`): one row per customer
    asked for an address, with what their chat received and what was mailed."""

    __tablename__ = "reply_mail"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), primary_key=True)
    address: Mapped[str | None] = mapped_column(String(254))
    asked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_through: Mapped[int] = mapped_column(Integer, default=0)
    mailed_through: Mapped[int] = mapped_column(Integer, default=0)
    sending_through: Mapped[int | None] = mapped_column(Integer)
    sending_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    def to_value(self) -> ReplyMailState:
        """The row as a value type."""
        return ReplyMailState(
            customer_id=self.customer_id,
            address=self.address,
            asked_at=self.asked_at,
            seen_through=self.seen_through,
            mailed_through=self.mailed_through,
            sending_through=self.sending_through,
            sending_since=self.sending_since,
            attempts=self.attempts,
        )


class WebTokenRow(Base):
    """A further bearer token of a web customer: one per resume link exchanged (only the
    digest, like the customer's first token in ``customer.external_id``)."""

    __tablename__ = "web_token"

    digest: Mapped[str] = mapped_column(String(255), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TimerRow(Base):
    """A durable timer: fires once at or after ``due_at``; ``fired_at`` marks the claim.

    Unique by ``(kind, key)``, so scheduling the same timer twice keeps one row.
    """

    __tablename__ = "timer"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_timer_fired_at_due_at", "fired_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# The row-to-value mappings, shared by the ORM classes and Core rows of the same columns.


def customer_value(row: Any) -> Customer:
    """A customer row (ORM or Core) as a value."""
    return Customer(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        display_name=row.display_name,
        language=row.language,
        unreachable_at=row.unreachable_at,
    )


def conversation_value(row: Any) -> Conversation:
    """A conversation row (ORM or Core) as a value."""
    return Conversation(
        id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        state=ConversationState(row.state),
        owner_agent_id=row.owner_agent_id,
        team=row.team,
        language=row.language,
        created_at=row.created_at,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        last_seq=row.last_seq,
    )


def handoff_value(row: Any) -> Handoff:
    """A handoff row (ORM or Core) as a value."""
    return Handoff(
        id=row.id,
        conversation_id=row.conversation_id,
        reason=HandoffReason(row.reason),
        team=row.team,
        requested_at=row.requested_at,
        claimed_at=row.claimed_at,
        resolved_at=row.resolved_at,
        agent_id=row.agent_id,
        summary=row.summary,
        promised_wait_s=row.promised_wait_s,
        promised_low_s=row.promised_low_s,
        promised_high_s=row.promised_high_s,
        detail=row.detail,
        released_by=row.released_by,
    )


def agent_value(row: Any) -> Agent:
    """An agent row (ORM or Core, with or without the password hash) as a value."""
    return Agent(
        id=row.id,
        login=row.login,
        name=row.name,
        teams=tuple(row.teams),
        languages=tuple(row.languages),
        capacity=row.capacity,
        is_admin=row.is_admin,
        active=row.active,
        presence=Presence(row.presence),
        last_seen_at=row.last_seen_at,
        last_assigned_at=row.last_assigned_at,
        working_hours={day: tuple(spans) for day, spans in (row.working_hours or {}).items()},
        session_epoch=row.session_epoch,
    )


def message_value(row: Any, agent_name: str | None = None) -> Message:
    """A message row (ORM or Core) as a value; ``agent_name`` comes from the agent table."""
    return Message(
        id=row.id,
        conversation_id=row.conversation_id,
        seq=row.seq,
        sender=SenderKind(row.sender),
        text=row.text,
        created_at=row.created_at,
        agent_id=row.agent_id,
        agent_name=agent_name,
        external_id=row.external_id,
        reply_to=row.reply_to,
        buttons=tuple(Button(title=b["title"], payload=b["payload"]) for b in row.buttons),
        meta=dict(row.meta),
        delivery=DeliveryStatus(row.delivery),
        delivery_error=row.delivery_error,
        edited_text=row.edited_text,
        edited_at=row.edited_at,
    )


def notice_value(row: Any) -> Notice:
    """A notice row (ORM or Core) as a value."""
    return Notice(
        id=row.id,
        texts=dict(row.texts),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        audience=row.audience,
    )
