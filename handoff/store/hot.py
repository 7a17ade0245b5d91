"""The per-message path of the store: SQLAlchemy Core, run as one synchronous unit.

Every customer message costs the store three calls (the chat API's token lookup,
receiving the message, storing the replies). Through the ORM on an async driver a
statement costs about 0.9 ms of CPU; the same statement in Core on a synchronous
connection about 20-40 us (``benchmarks/load/store_ops.py``). So these calls are written
once as synchronous Core functions of a :class:`~sqlalchemy.engine.Connection`, and run:

- on SQLite, in one worker thread on a synchronous engine of the same file: one thread
  hop per transaction instead of several per statement. Writes still queue on the
  store's in-process write lock, so they never meet SQLite's busy handler in-process;
- on PostgreSQL, in a few worker threads on psycopg's synchronous connections
  (:data:`PG_HOT_THREADS`), next to the async engine's pool.

A unit that loses an insert race (IntegrityError on a unique key) runs again, as the ORM
methods do; database errors become :class:`~handoff.errors.StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import SimpleNamespace
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Engine, bindparam, create_engine, event, insert, select, update
from sqlalchemy.engine import Connection, Row, make_url
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from handoff.errors import HandoffError, NotFound, StoreUnavailable
from handoff.model import (
    CHANNEL_REF,
    Conversation,
    ConversationState,
    Customer,
    DeliveryStatus,
    Message,
    NewMessage,
    Received,
    SenderKind,
    TranscriptLine,
)
from handoff.store.engine import (
    READ_ONLY,
    SQLITE_BUSY_TIMEOUT_MS,
    _on_sqlite_connect,
)
from handoff.store.tables import (
    AgentRow,
    Base,
    ConversationRow,
    CustomerRow,
    MessageRow,
    conversation_value,
    customer_value,
    message_value,
)

T = TypeVar("T")
Unit = Callable[[Connection], T]

_CONFLICT_ATTEMPTS = 3

#: Worker threads (and connections) of the PostgreSQL hot path, besides the async pool.
PG_HOT_THREADS = 4

_customer = Base.metadata.tables[CustomerRow.__tablename__]
_conversation = Base.metadata.tables[ConversationRow.__tablename__]
_message = Base.metadata.tables[MessageRow.__tablename__]
_agent = Base.metadata.tables[AgentRow.__tablename__]

# The statements of the per-message units, built once. A statement built per call costs
# more CPU to construct and to key for SQLAlchemy's compiled cache than to execute; a
# prebuilt one keeps its cache key. Bound values are named so as not to clash with the
# column names SQLAlchemy reserves in INSERT and UPDATE.


def _with_agent() -> Any:
    # An outer join: the agent's name is None for customer, bot and system messages.
    return select(_message, _agent.c.name.label("agent_name")).outerjoin(
        _agent, _message.c.agent_id == _agent.c.id
    )


_CUSTOMER_BY_IDENTITY = select(_customer).where(
    _customer.c.channel == bindparam("b_channel"),
    _customer.c.external_id == bindparam("b_external_id"),
)
_CUSTOMER_BY_IDENTITY_FOR_UPDATE = _CUSTOMER_BY_IDENTITY.with_for_update()
_CUSTOMER_BY_ID = select(_customer).where(_customer.c.id == bindparam("b_id"))
_CUSTOMER_BY_ID_FOR_UPDATE = _CUSTOMER_BY_ID.with_for_update()
_NEW_CUSTOMER = insert(_customer).returning(*_customer.c)
_RENAME_CUSTOMER = (
    update(_customer)
    .where(_customer.c.id == bindparam("b_id"))
    .values(display_name=bindparam("b_display_name"))
    .returning(*_customer.c)
)
_OPEN_CONVERSATION = select(_conversation).where(
    _conversation.c.customer_id == bindparam("b_customer_id"),
    _conversation.c.closed_at.is_(None),
)
_CONVERSATION_BY_ID = select(_conversation).where(_conversation.c.id == bindparam("b_id"))
_NEW_CONVERSATION = insert(_conversation).returning(*_conversation.c)
_SET_LANGUAGE = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(language=bindparam("b_language"))
    .returning(*_conversation.c)
)
_TAKE_SEQS = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(last_seq=_conversation.c.last_seq + bindparam("b_count"), updated_at=bindparam("b_now"))
    .returning(_conversation.c.last_seq)
)
_MESSAGES_BY_EXTERNAL_IDS = _with_agent().where(
    _message.c.external_id.in_(bindparam("b_external_ids", expanding=True))
)
_MESSAGE_IDS = select(_message.c.id).where(_message.c.id.in_(bindparam("b_ids", expanding=True)))
_AGENT_NAMES = select(_agent.c.id, _agent.c.name).where(
    _agent.c.id.in_(bindparam("b_ids", expanding=True))
)
_NEW_MESSAGES = insert(_message).returning(*_message.c, sort_by_parameter_order=True)
_MESSAGE_BY_EXTERNAL_ID = _with_agent().where(_message.c.external_id == bindparam("b_external_id"))
# A turn's history: every message column but the conversation (the caller knows it).
# A turn reads back only what its memory is rebuilt from (TranscriptLine): loading whole
# messages (buttons, times, delivery, the agent's name) took three times the CPU.
_HISTORY = (
    select(_message.c.id, _message.c.seq, _message.c.sender, _message.c.text, _message.c.meta)
    .where(
        _message.c.conversation_id == bindparam("b_conversation_id"),
        _message.c.seq >= bindparam("b_from_seq"),
        _message.c.seq < bindparam("b_to_seq"),
    )
    .order_by(_message.c.seq)
)


class HotPath:
    """Runs synchronous units of work against the store's database.

    Args:
        engine: the store's async engine (its URL tells the database).
        write_lock: the store's in-process SQLite write lock (None on PostgreSQL).
    """

    def __init__(self, engine: AsyncEngine, write_lock: asyncio.Lock | None) -> None:
        self._write_lock = write_lock
        url = make_url(engine.url.render_as_string(hide_password=False))
        if engine.dialect.name == "sqlite":
            self._sync = create_engine(
                url.set(drivername="sqlite"),
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                    "check_same_thread": False,
                },
                hide_parameters=True,
            )
            event.listen(self._sync, "connect", _on_sqlite_connect)
            event.listen(self._sync, "begin", _begin_on_sqlite3)
            # One thread: SQLite has one writer anyway, and reads are short.
            self._threads = ThreadPoolExecutor(1, thread_name_prefix="helpline-sqlite")
        else:
            # psycopg's synchronous connection, one per worker thread; the URL (with its
            # search_path option) is the async engine's.
            self._sync = create_engine(
                url,
                pool_size=PG_HOT_THREADS,
                max_overflow=0,
                pool_pre_ping=True,
                hide_parameters=True,
            )
            self._threads = ThreadPoolExecutor(PG_HOT_THREADS, thread_name_prefix="helpline-pg")
        self._read_only = self._sync.execution_options(**{READ_ONLY: True})

    async def close(self) -> None:
        """Stop the worker threads and close their connections."""
        await asyncio.get_running_loop().run_in_executor(self._threads, self._sync.dispose)
        self._threads.shutdown(wait=True)

    async def read(self, unit: Unit[T]) -> T:
        """Run ``unit`` in a read-only transaction."""
        try:
            return await self._run(unit, write=False)
        except IntegrityError as exc:
            raise HandoffError(f"the database refused the change: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"database error: {exc}") from exc

    async def write(self, unit: Unit[T]) -> T:
        """Run ``unit`` in a write transaction, again after losing an insert race."""
        try:
            for _ in range(_CONFLICT_ATTEMPTS - 1):
                try:
                    return await self._run(unit, write=True)
                except IntegrityError:
                    continue
            return await self._run(unit, write=True)
        except IntegrityError as exc:
            raise HandoffError(f"the database refused the change: {exc.orig}") from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"database error: {exc}") from exc

    async def _run(self, unit: Unit[T], *, write: bool) -> T:
        loop = asyncio.get_running_loop()
        engine = self._sync if write else self._read_only
        if write and self._write_lock is not None:
            async with self._write_lock:
                return await loop.run_in_executor(self._threads, _in_transaction, engine, unit)
        return await loop.run_in_executor(self._threads, _in_transaction, engine, unit)


def _begin_on_sqlite3(connection: Connection) -> None:
    """The BEGIN of :func:`handoff.store.engine._on_sqlite_begin` (IMMEDIATE unless
    read-only), sent on sqlite3's own connection: through SQLAlchemy's execution machinery
    this one statement cost more CPU than most of the statements of a unit."""
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    driver = connection.connection.driver_connection
    if driver is None:  # never: the connection is checked out, so it is open
        raise StoreUnavailable("the SQLite connection is closed")
    driver.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _in_transaction(engine: Engine, unit: Unit[T]) -> T:
    with engine.begin() as connection:
        return unit(connection)


# Units ----------------------------------------------------------------------------------


def find_customer(connection: Connection, channel: str, external_id: str) -> Customer | None:
    """The customer with this channel identity, or None."""
    row = connection.execute(
        _CUSTOMER_BY_IDENTITY, {"b_channel": channel, "b_external_id": external_id}
    ).first()
    return None if row is None else customer_value(row)


def receive(
    connection: Connection,
    *,
    now: datetime,
    channel: str,
    sender_id: str,
    message: NewMessage,
    display_name: str | None,
    language: str | None,
    history: int,
) -> Received:
    """See :meth:`handoff.store.port.Store.receive_message`."""
    if message.external_id is not None:
        found = _received_before(connection, message.external_id)
        if found is not None:
            return found
    customer = connection.execute(
        _CUSTOMER_BY_IDENTITY_FOR_UPDATE, {"b_channel": channel, "b_external_id": sender_id}
    ).first()
    if customer is None:
        customer = connection.execute(
            _NEW_CUSTOMER,
            {
                "channel": channel,
                "external_id": sender_id,
                "display_name": display_name,
                "created_at": now,
            },
        ).one()
    elif display_name is not None and customer.display_name != display_name:
        customer = connection.execute(
            _RENAME_CUSTOMER, {"b_id": customer.id, "b_display_name": display_name}
        ).one()
    conversation = _open_conversation(connection, customer, now, language)
    [(stored, _)] = append(connection, now, conversation.id, [message], looked_up=True)
    earlier: list[TranscriptLine] = []
    if history > 0 and stored.seq > 1:
        rows = connection.execute(
            _HISTORY,
            {
                "b_conversation_id": conversation.id,
                "b_from_seq": stored.seq - history,
                "b_to_seq": stored.seq,
            },
        )
        earlier = [
            TranscriptLine(id_, seq, SenderKind(sender), text, dict(meta))
            for id_, seq, sender, text, meta in rows
        ]
    # The conversation as it is after the append (last_seq moved on).
    return Received(
        customer_value(customer),
        conversation_value(_with_seq(conversation, stored.seq, now)),
        stored,
        created=True,
        history=tuple(earlier),
    )


def open_conversation(connection: Connection, now: datetime, customer_id: int) -> Conversation:
    """See :meth:`handoff.store.sql.SqlStore.open_conversation`."""
    customer = connection.execute(_CUSTOMER_BY_ID_FOR_UPDATE, {"b_id": customer_id}).first()
    if customer is None:
        raise NotFound("customer", customer_id)
    return conversation_value(_open_conversation(connection, customer, now))


def _open_conversation(
    connection: Connection, customer: Row[Any], now: datetime, language: str | None = None
) -> Row[Any]:
    """The customer's open conversation, started in state BOT when none is open;
    ``language``, when given, becomes its language."""
    conversation = connection.execute(_OPEN_CONVERSATION, {"b_customer_id": customer.id}).first()
    if conversation is None:
        return connection.execute(
            _NEW_CONVERSATION,
            {
                "id": uuid.uuid4(),
                "customer_id": customer.id,
                "channel": customer.channel,
                "state": ConversationState.BOT.value,
                "language": language or customer.language,
                "created_at": now,
                "updated_at": now,
                "last_seq": 0,
            },
        ).one()
    if language is not None and conversation.language != language:
        return connection.execute(
            _SET_LANGUAGE, {"b_id": conversation.id, "b_language": language}
        ).one()
    return conversation


def append(
    connection: Connection,
    now: datetime,
    conversation_id: UUID,
    messages: Sequence[NewMessage],
    *,
    looked_up: bool = False,
) -> list[tuple[Message, bool]]:
    """Append ``messages`` in order; ``looked_up``: the caller found none of their
    external ids. See :meth:`handoff.store.port.Store.append_messages`."""
    existing: dict[str, Message] = {}
    keys = [m.external_id for m in messages if m.external_id is not None]
    if keys and not looked_up:
        for row in connection.execute(_MESSAGES_BY_EXTERNAL_IDS, {"b_external_ids": keys}):
            existing[row.external_id] = message_value(row, row.agent_name)
    new = [m for m in messages if m.external_id not in existing]
    names = _agent_names(connection, {m.agent_id for m in new})
    _check_replied_to(connection, {m.reply_to for m in new})
    stored: list[Message] = []
    if new:
        last = connection.execute(
            _TAKE_SEQS, {"b_id": conversation_id, "b_count": len(new), "b_now": now}
        ).scalar()
        if last is None:
            raise NotFound("conversation", conversation_id)
        first = last - len(new) + 1
        rows = connection.execute(
            _NEW_MESSAGES,
            [_message_values(conversation_id, seq, m, now) for seq, m in enumerate(new, first)],
        )
        stored = [
            message_value(row, names.get(m.agent_id)) for row, m in zip(rows, new, strict=True)
        ]
    fresh = iter(stored)
    return [
        (existing[m.external_id], False) if m.external_id in existing else (next(fresh), True)
        for m in messages
    ]


def set_delivery(
    connection: Connection, message_id: int, status: DeliveryStatus, error: str | None
) -> None:
    """See :meth:`handoff.store.port.Store.set_delivery`."""
    updated = connection.execute(
        update(_message)
        .where(_message.c.id == message_id)
        .values(delivery=status.value, delivery_error=error)
        .returning(_message.c.id)
    ).first()
    if updated is None:
        raise NotFound("message", message_id)


def record_channel_ref(connection: Connection, message_id: int, ref: str) -> bool:
    """See :meth:`handoff.store.port.Store.record_channel_ref`."""
    row = connection.execute(select(_message.c.meta).where(_message.c.id == message_id)).first()
    if row is None:
        return False
    # The text stays as it was said; only delivery bookkeeping changes.
    connection.execute(
        update(_message)
        .where(_message.c.id == message_id)
        .values(meta={**(row.meta or {}), CHANNEL_REF: ref})
    )
    return True


def _received_before(connection: Connection, external_id: str) -> Received | None:
    row = connection.execute(_MESSAGE_BY_EXTERNAL_ID, {"b_external_id": external_id}).first()
    if row is None:
        return None
    conversation = connection.execute(_CONVERSATION_BY_ID, {"b_id": row.conversation_id}).one()
    customer = connection.execute(_CUSTOMER_BY_ID, {"b_id": conversation.customer_id}).one()
    return Received(
        customer_value(customer),
        conversation_value(conversation),
        message_value(row, row.agent_name),
        created=False,
    )


def _agent_names(connection: Connection, agent_ids: set[int | None]) -> dict[int | None, str]:
    wanted = {a for a in agent_ids if a is not None}
    if not wanted:
        return {}
    found = connection.execute(_AGENT_NAMES, {"b_ids": sorted(wanted)})
    names: dict[int | None, str] = {agent_id: name for agent_id, name in found}
    for agent_id in wanted - names.keys():
        raise NotFound("agent", agent_id)
    return names


def _check_replied_to(connection: Connection, ids: set[int | None]) -> None:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return
    found = set(connection.execute(_MESSAGE_IDS, {"b_ids": sorted(wanted)}).scalars())
    for message_id in wanted - found:
        raise NotFound("message", message_id)


def _message_values(
    conversation_id: UUID, seq: int, message: NewMessage, now: datetime
) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "seq": seq,
        "sender": message.sender.value,
        "agent_id": message.agent_id,
        "text": message.text,
        "external_id": message.external_id,
        "reply_to": message.reply_to,
        "buttons": [{"title": b.title, "payload": b.payload} for b in message.buttons],
        "meta": dict(message.meta),
        "delivery": message.delivery.value,
        "delivery_error": None,
        "created_at": now,
        "edited_text": None,
        "edited_at": None,
    }


def _with_seq(conversation: Row[Any], last_seq: int, now: datetime) -> SimpleNamespace:
    return SimpleNamespace(**{**conversation._mapping, "last_seq": last_seq, "updated_at": now})
