"""Data written at each migration's schema, read back after upgrading to the newest.

One :class:`Seed` per Alembic revision, oldest first: ``write`` inserts rows into the
tables exactly as that revision left them (SQLAlchemy Core on ad-hoc ``table()``
definitions, never today's ORM classes, which describe the newest schema), and ``check``
reads them back through today's store after the upgrade to head.

**A new migration adds its entry here**, at the end of :data:`SEEDS`: rows that use what
the migration added (a new column with a value in it, a row in a new table), and a check
that they, and what they mean, survive every later migration. ``tests/handoff/
test_upgrades.py`` fails until each revision has one.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from handoff.bearer import token_digest
from handoff.model import ConversationState, DeliveryStatus, HandoffReason, SenderKind
from handoff.store.port import Store
from handoff.timers import TimerKind

#: Timestamps as an aware UTC value, the way the store writes them.
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 11, 2, 9, 5, tzinfo=UTC)
T2 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)

STAMP = sa.DateTime(timezone=True)


def _table(name: str, *columns: tuple[str, Any]) -> sa.TableClause:
    return sa.table(name, *(sa.column(column, kind) for column, kind in columns))


@dataclass(frozen=True, slots=True)
class Seed:
    """What one revision's schema holds: rows to write there, and how to find them at head."""

    revision: str
    write: Callable[[Connection], None]
    check: Callable[[Store], Awaitable[None]]


# --- 0001: customers, conversations, the transcript, handoffs, agents, notices ------------

#: A conversation an agent took over from the queue, and one that was closed.
TAKEN = uuid.UUID("6f1c2a1e-0001-4000-8000-000000000001")
CLOSED = uuid.UUID("6f1c2a1e-0001-4000-8000-000000000002")


def write_0001(connection: Connection) -> None:
    """Two customers, an agent, two conversations with transcripts, a handoff, a notice."""
    agent = _table(
        "agent",
        ("id", sa.Integer),
        ("login", sa.String),
        ("name", sa.String),
        ("password_hash", sa.String),
        ("teams", sa.JSON),
        ("languages", sa.JSON),
        ("capacity", sa.Integer),
        ("is_admin", sa.Boolean),
        ("active", sa.Boolean),
        ("working_hours", sa.JSON),
        ("presence", sa.String),
        ("created_at", STAMP),
    )
    customer = _table(
        "customer",
        ("id", sa.Integer),
        ("channel", sa.String),
        ("external_id", sa.String),
        ("display_name", sa.String),
        ("language", sa.String),
        ("created_at", STAMP),
    )
    conversation = _table(
        "conversation",
        ("id", sa.Uuid),
        ("customer_id", sa.Integer),
        ("channel", sa.String),
        ("state", sa.String),
        ("owner_agent_id", sa.Integer),
        ("team", sa.String),
        ("language", sa.String),
        ("created_at", STAMP),
        ("updated_at", STAMP),
        ("closed_at", STAMP),
        ("last_seq", sa.Integer),
    )
    message = _table(
        "message",
        ("id", sa.Integer),
        ("conversation_id", sa.Uuid),
        ("seq", sa.Integer),
        ("sender", sa.String),
        ("agent_id", sa.Integer),
        ("text", sa.Text),
        ("external_id", sa.String),
        ("reply_to", sa.Integer),
        ("buttons", sa.JSON),
        ("meta", sa.JSON),
        ("delivery", sa.String),
        ("delivery_error", sa.Text),
        ("created_at", STAMP),
    )
    handoff = _table(
        "handoff",
        ("id", sa.Integer),
        ("conversation_id", sa.Uuid),
        ("reason", sa.String),
        ("team", sa.String),
        ("requested_at", STAMP),
        ("claimed_at", STAMP),
        ("resolved_at", STAMP),
        ("agent_id", sa.Integer),
        ("summary", sa.Text),
        ("promised_wait_s", sa.Integer),
    )
    notice = _table(
        "notice",
        ("id", sa.Integer),
        ("texts", sa.JSON),
        ("starts_at", STAMP),
        ("ends_at", STAMP),
        ("audience", sa.String),
        ("created_at", STAMP),
    )
    connection.execute(
        sa.insert(agent),
        [
            {
                "id": 1,
                "login": "maria",
                "name": "Maria",
                "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
                "teams": ["it-support"],
                "languages": ["en", "da"],
                "capacity": 3,
                "is_admin": False,
                "active": True,
                "working_hours": None,
                "presence": "online",
                "created_at": T0,
            }
        ],
    )
    connection.execute(
        sa.insert(customer),
        [
            {
                "id": 1,
                "channel": "telegram",
                "external_id": "4242",
                "display_name": "Alice",
                "language": "da",
                "created_at": T0,
            },
            {
                "id": 2,
                "channel": "web",
                "external_id": "web-token-b",
                "display_name": None,
                "language": "en",
                "created_at": T0,
            },
        ],
    )
    connection.execute(
        sa.insert(conversation),
        [
            {
                "id": TAKEN,
                "customer_id": 1,
                "channel": "telegram",
                "state": "agent",
                "owner_agent_id": 1,
                "team": "it-support",
                "language": "da",
                "created_at": T0,
                "updated_at": T1,
                "closed_at": None,
                "last_seq": 3,
            },
            {
                "id": CLOSED,
                "customer_id": 2,
                "channel": "web",
                "state": "bot",
                "owner_agent_id": None,
                "team": None,
                "language": "en",
                "created_at": T0,
                "updated_at": T2,
                "closed_at": T2,
                "last_seq": 2,
            },
        ],
    )
    line = {
        "agent_id": None,
        "external_id": None,
        "reply_to": None,
        "buttons": [],
        "meta": {},
        "delivery": "sent",
        "delivery_error": None,
        "created_at": T0,
    }
    connection.execute(
        sa.insert(message),
        [
            {
                **line,
                "id": 1,
                "conversation_id": TAKEN,
                "seq": 1,
                "sender": "customer",
                "text": "VPN virker ikke",
                "external_id": "telegram:update:1",
            },
            {
                **line,
                "id": 2,
                "conversation_id": TAKEN,
                "seq": 2,
                "sender": "bot",
                "text": "Åbn Secure Client ...",
                "reply_to": 1,
                "buttons": [{"title": "Tal med en person", "payload": "/human"}],
                "meta": {"article_id": "vpn-connect", "score": 0.71},
            },
            {
                **line,
                "id": 3,
                "conversation_id": TAKEN,
                "seq": 3,
                "sender": "agent",
                "agent_id": 1,
                "text": "Hej, det er Maria",
                "delivery": "failed",
                "delivery_error": "Forbidden: bot was blocked by the user",
                "created_at": T1,
            },
            {
                **line,
                "id": 4,
                "conversation_id": CLOSED,
                "seq": 1,
                "sender": "customer",
                "text": "how do I reset my password",
                "external_id": "web:2:c1",
            },
            {
                **line,
                "id": 5,
                "conversation_id": CLOSED,
                "seq": 2,
                "sender": "bot",
                "text": "Go to https://password.example.org",
                "reply_to": 4,
            },
        ],
    )
    connection.execute(
        sa.insert(handoff),
        [
            {
                "id": 1,
                "conversation_id": TAKEN,
                "reason": "customer_asked",
                "team": "it-support",
                "requested_at": T0,
                "claimed_at": T1,
                "resolved_at": None,
                "agent_id": 1,
                "summary": "VPN virker ikke",
                "promised_wait_s": 600,
            }
        ],
    )
    connection.execute(
        sa.insert(notice),
        [
            {
                "id": 1,
                "texts": {"en": "Two colleagues are ill: expect {eta}", "da": "To er syge"},
                "starts_at": T0,
                "ends_at": T2,
                "audience": None,
                "created_at": T0,
            }
        ],
    )


async def check_0001(store: Store) -> None:
    """Every row of :func:`write_0001`, read through today's store."""
    maria = await store.get_agent(1)
    assert (maria.login, maria.name, maria.teams, maria.capacity) == (
        "maria",
        "Maria",
        ("it-support",),
        3,
    )
    taken = await store.get_conversation(TAKEN)
    assert (taken.state, taken.owner_agent_id, taken.team) == (
        ConversationState.AGENT,
        1,
        "it-support",
    )
    lines = await store.transcript(TAKEN)
    assert [(m.seq, m.sender, m.text) for m in lines] == [
        (1, SenderKind.CUSTOMER, "VPN virker ikke"),
        (2, SenderKind.BOT, "Åbn Secure Client ..."),
        (3, SenderKind.AGENT, "Hej, det er Maria"),
    ]
    assert lines[1].meta == {"article_id": "vpn-connect", "score": 0.71}
    assert [b.payload for b in lines[1].buttons] == ["/human"]
    assert (lines[2].delivery, lines[2].agent_name) == (DeliveryStatus.FAILED, "Maria")
    closed = await store.get_conversation(CLOSED)
    assert closed.closed_at == T2
    assert [m.text for m in await store.transcript(CLOSED)] == [
        "how do I reset my password",
        "Go to https://password.example.org",
    ]
    [handoff] = await store.handoffs(TAKEN)
    assert (handoff.reason, handoff.claimed_at, handoff.promised_wait_s) == (
        HandoffReason.CUSTOMER_ASKED,
        T1,
        600,
    )
    notice = await store.get_notice(1)
    assert (notice.texts["da"], notice.starts_at, notice.ends_at) == ("To er syge", T0, T2)
    alice = await store.find_customer(channel="telegram", external_id="4242")
    assert alice is not None
    assert (alice.display_name, alice.language) == ("Alice", "da")


# --- 0002: agent presence and routing, timers, Telegram state -----------------------------


def write_0002(connection: Connection) -> None:
    """A pending and a fired timer, an agent's Telegram user, an edited message."""
    timer = _table(
        "timer",
        ("id", sa.Integer),
        ("kind", sa.String),
        ("key", sa.String),
        ("due_at", STAMP),
        ("fired_at", STAMP),
    )
    connection.execute(
        sa.insert(timer),
        [
            {"id": 1, "kind": "notice_end", "key": "1", "due_at": T2, "fired_at": None},
            {"id": 2, "kind": "wait_update", "key": "sweep", "due_at": T1, "fired_at": T1},
        ],
    )
    agent = _table(
        "agent", ("id", sa.Integer), ("telegram_user_id", sa.BigInteger), ("last_seen_at", STAMP)
    )
    connection.execute(
        sa.update(agent)
        .where(agent.c.id == 1)
        .values(telegram_user_id=5_000_000_001, last_seen_at=T1)
    )
    message = _table("message", ("id", sa.Integer), ("edited_text", sa.Text), ("edited_at", STAMP))
    connection.execute(
        sa.update(message)
        .where(message.c.id == 1)
        .values(edited_text="VPN virker ikke hjemmefra", edited_at=T1)
    )


async def check_0002(store: Store) -> None:
    """Every row of :func:`write_0002`, read through today's store."""
    pending = await store.get_timer(TimerKind.NOTICE_END, "1")
    assert pending is not None
    assert (pending.due_at, pending.fired_at) == (T2, None)
    fired = await store.get_timer(TimerKind.WAIT_UPDATE, "sweep")
    assert fired is not None
    assert fired.fired_at == T1
    assert [t.id for t in await store.pending_timers()] == [pending.id]
    assert await store.telegram_user_ids() == {1: 5_000_000_001}
    first = (await store.transcript(TAKEN))[0]
    assert (first.text, first.edited_text) == ("VPN virker ikke", "VPN virker ikke hjemmefra")


# --- 0003: console sessions the server can end ---------------------------------------------


def write_0003_session_epoch(connection: Connection) -> None:
    """Agent 1 has logged out (or changed password) a few times."""
    agent = _table("agent", ("id", sa.Integer), ("session_epoch", sa.Integer))
    connection.execute(sa.update(agent).where(agent.c.id == 1).values(session_epoch=3))


async def check_0003_session_epoch(store: Store) -> None:
    """The epoch survives: sessions ended before the upgrade stay ended."""
    assert (await store.get_agent(1)).session_epoch == 3


# --- 0004: the wait range a customer was told ---------------------------------------------


def write_0004_promised_wait_range(connection: Connection) -> None:
    """The taken conversation's customer was told "about 5-15 minutes"."""
    handoff = _table(
        "handoff",
        ("id", sa.Integer),
        ("promised_low_s", sa.Integer),
        ("promised_high_s", sa.Integer),
    )
    connection.execute(
        sa.update(handoff).where(handoff.c.id == 1).values(promised_low_s=300, promised_high_s=900)
    )


async def check_0004_promised_wait_range(store: Store) -> None:
    """The range told survives, beside the older point figure."""
    [handoff] = await store.handoffs(TAKEN)
    assert (handoff.promised_low_s, handoff.promised_high_s, handoff.promised_wait_s) == (
        300,
        900,
        600,
    )


# --- 0005: change notifications (PostgreSQL triggers; nothing on SQLite) -----------------


def write_0005(connection: Connection) -> None:
    """A conversation written after the notifying triggers exist: the write still lands."""
    conversation = _table("conversation", ("id", sa.Uuid), ("language", sa.String))
    connection.execute(
        sa.update(conversation).where(conversation.c.id == TAKEN).values(language="da")
    )


async def check_0005(store: Store) -> None:
    """The conversation written at :func:`write_0005` kept its change."""
    assert (await store.get_conversation(TAKEN)).language == "da"


# --- 0006: web customers under a digest of their token ------------------------------------


def write_0006_web_token_digest(connection: Connection) -> None:
    """Nothing new to write: the revision converts the web customer of 0001."""


async def check_0006_web_token_digest(store: Store) -> None:
    """The web customer of 0001 is found by the digest of the token their page keeps."""
    assert await store.find_customer(channel="web", external_id="web-token-b") is None
    found = await store.find_customer(channel="web", external_id=token_digest("web-token-b"))
    assert found is not None
    assert found.id == 2


# --- 0007: attachments ----------------------------------------------------------------------


SCREENSHOT = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def write_0007_attachments(connection: Connection) -> None:
    """Customer 1 sent a screenshot with their first message."""
    attachment = _table(
        "attachment",
        ("id", sa.String),
        ("customer_id", sa.Integer),
        ("message_id", sa.Integer),
        ("name", sa.String),
        ("content_type", sa.String),
        ("size", sa.Integer),
        ("data", sa.LargeBinary),
        ("created_at", STAMP),
    )
    connection.execute(
        sa.insert(attachment),
        [
            {
                "id": "shot-1",
                "customer_id": 1,
                "message_id": 1,
                "name": "error.png",
                "content_type": "image/png",
                "size": len(SCREENSHOT),
                "data": SCREENSHOT,
                "created_at": T1,
            }
        ],
    )


async def check_0007_attachments(store: Store) -> None:
    """The screenshot is still there, byte for byte, on its message."""
    stored = await store.get_attachment("shot-1")
    assert (stored.ref.name, stored.message_id, stored.data) == ("error.png", 1, SCREENSHOT)


# --- 0008: saved replies ---------------------------------------------------------------------


def write_0008_saved_replies(connection: Connection) -> None:
    """A team's saved reply and one of agent 1's own."""
    reply = _table(
        "saved_reply",
        ("id", sa.Integer),
        ("shortcut", sa.String),
        ("text", sa.Text),
        ("team", sa.String),
        ("agent_id", sa.Integer),
        ("created_at", STAMP),
    )
    connection.execute(
        sa.insert(reply),
        [
            {
                "id": 1,
                "shortcut": "vpn",
                "text": "VPN help",
                "team": "it-support",
                "agent_id": None,
                "created_at": T1,
            },
            {
                "id": 2,
                "shortcut": "bye",
                "text": "Bye, {customer_name}",
                "team": None,
                "agent_id": 1,
                "created_at": T1,
            },
        ],
    )


async def check_0008_saved_replies(store: Store) -> None:
    """Both saved replies are there, for the right team and agent."""
    replies = await store.saved_replies(agent_id=1, teams=("it-support",))
    assert [(r.shortcut, r.team, r.agent_id) for r in replies] == [
        ("bye", None, 1),
        ("vpn", "it-support", None),
    ]


# --- 0009: replies by e-mail ----------------------------------------------------------------


def write_0009_reply_mail(connection: Connection) -> None:
    """Customer 1 left an address and had a reply mailed; a resume link gave them a token."""
    reply_mail = _table(
        "reply_mail",
        ("customer_id", sa.Integer),
        ("address", sa.String),
        ("asked_at", STAMP),
        ("seen_through", sa.Integer),
        ("mailed_through", sa.Integer),
        ("sending_through", sa.Integer),
        ("sending_since", STAMP),
        ("attempts", sa.Integer),
    )
    connection.execute(
        sa.insert(reply_mail),
        [
            {
                "customer_id": 1,
                "address": "anna@example.org",
                "asked_at": T1,
                "seen_through": 1,
                "mailed_through": 2,
                "sending_through": None,
                "sending_since": None,
                "attempts": 0,
            }
        ],
    )
    web_token = _table(
        "web_token", ("digest", sa.String), ("customer_id", sa.Integer), ("created_at", STAMP)
    )
    connection.execute(
        sa.insert(web_token),
        [{"digest": token_digest("resumed-token"), "customer_id": 1, "created_at": T2}],
    )


async def check_0009_reply_mail(store: Store) -> None:
    """The address, what was mailed, and the further token are all still there."""
    state = await store.reply_mail_state(1)
    assert state is not None
    assert (state.address, state.seen_through, state.mailed_through) == (
        "anna@example.org",
        1,
        2,
    )
    customer = await store.web_token_customer(token_digest("resumed-token"))
    assert customer is not None
    assert customer.id == 1


# --- 0010: agents' pictures ------------------------------------------------------------------


def write_0010_agent_avatars(connection: Connection) -> None:
    """A picture of agent 1."""
    avatar = _table(
        "agent_avatar",
        ("agent_id", sa.Integer),
        ("content_type", sa.String),
        ("data", sa.LargeBinary),
        ("updated_at", STAMP),
    )
    connection.execute(
        sa.insert(avatar),
        [{"agent_id": 1, "content_type": "image/png", "data": SCREENSHOT, "updated_at": T1}],
    )


async def check_0010_agent_avatars(store: Store) -> None:
    """Agent 1's picture is there, byte for byte, with its version."""
    avatar = await store.agent_avatar(1)
    assert (avatar.content_type, avatar.data, avatar.updated_at) == ("image/png", SCREENSHOT, T1)
    assert await store.avatar_versions() == {1: avatar.version}


#: One entry per migration, oldest first.
SEEDS: tuple[Seed, ...] = (
    Seed("0001", write_0001, check_0001),
    Seed("0002", write_0002, check_0002),
    Seed("0003_session_epoch", write_0003_session_epoch, check_0003_session_epoch),
    Seed(
        "0004_promised_wait_range",
        write_0004_promised_wait_range,
        check_0004_promised_wait_range,
    ),
    Seed("0005_change_notify", write_0005, check_0005),
    Seed("0006_web_token_digest", write_0006_web_token_digest, check_0006_web_token_digest),
    Seed("0007_attachments", write_0007_attachments, check_0007_attachments),
    Seed("0008_saved_replies", write_0008_saved_replies, check_0008_saved_replies),
    Seed("0009_reply_mail", write_0009_reply_mail, check_0009_reply_mail),
    Seed("0010_agent_avatars", write_0010_agent_avatars, check_0010_agent_avatars),
)
