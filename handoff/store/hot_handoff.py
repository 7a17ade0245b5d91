"""The handoff request path of the store: SQLAlchemy Core units, as in :mod:`handoff.store.hot`.

When a customer asks for a person, the runtime requests the handoff, tries to assign it at
once, and acknowledges with the expected wait: a handful of store calls in the same turn
(the conversation twice, the agents and their loads; with an agent free, the agent and
the customer for "Maria has joined"). Through the ORM on the async driver they cost 1-3 ms
of CPU each, several times a plain message's store calls, and under overload on
PostgreSQL the turns that handed off were most of the slowest. Written here as synchronous
Core units, they run on the store's :class:`~handoff.store.hot.HotPath` worker threads.

The guarantees are the ORM methods' (:mod:`handoff.store.sql_queue`,
:mod:`handoff.store.sql_desk`): a state change locks the conversation row first (``SELECT
... FOR UPDATE`` on PostgreSQL; on SQLite the write transaction's ``BEGIN IMMEDIATE``
holds the database write lock), checks the transition and raises the same errors;
assignment then locks the online agents' rows in id order, so concurrent assignments in
any process queue up behind each other and no agent goes over capacity.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from handoff.errors import IllegalTransition, NotFound
from handoff.model import (
    Agent,
    Conversation,
    ConversationState,
    Customer,
    Handoff,
    HandoffReason,
    Presence,
)
from handoff.routing import candidates_for, choose_agent
from handoff.states import check_transition
from handoff.store.sql_base import conversation_target
from handoff.store.tables import (
    AgentRow,
    AuditRow,
    Base,
    ConversationRow,
    CustomerRow,
    HandoffRow,
    agent_value,
    conversation_value,
    customer_value,
    handoff_value,
)

_customer = Base.metadata.tables[CustomerRow.__tablename__]
_conversation = Base.metadata.tables[ConversationRow.__tablename__]
_handoff = Base.metadata.tables[HandoffRow.__tablename__]
_agent = Base.metadata.tables[AgentRow.__tablename__]
_audit = Base.metadata.tables[AuditRow.__tablename__]

_AGENT = ConversationState.AGENT.value
_QUEUED = ConversationState.QUEUED.value

# The statements, built once (see handoff.store.hot). Bound values are named so as not to
# clash with the column names SQLAlchemy reserves in INSERT and UPDATE.

_CUSTOMER = select(_customer).where(_customer.c.id == bindparam("b_id"))
_CONVERSATION = select(_conversation).where(_conversation.c.id == bindparam("b_id"))
_LOCKED_CONVERSATION = _CONVERSATION.with_for_update()
_OPEN_HANDOFF = (
    select(_handoff)
    .where(_handoff.c.conversation_id == bindparam("b_id"), _handoff.c.resolved_at.is_(None))
    .order_by(_handoff.c.id.desc())
    .limit(1)
)
_QUEUE = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(state=_QUEUED, team=bindparam("b_team"), updated_at=bindparam("b_now"))
)
_NEW_HANDOFF = insert(_handoff).returning(*_handoff.c)
# Every column of an agent but the password hash, which no caller of these units needs.
_AGENT_COLUMNS = [column for column in _agent.c if column.name != "password_hash"]
_AGENT_BY_ID = select(*_AGENT_COLUMNS).where(_agent.c.id == bindparam("b_id"))
_AGENTS = select(*_AGENT_COLUMNS).order_by(_agent.c.login)
_ONLINE_AGENTS_FOR_UPDATE = (
    select(*_AGENT_COLUMNS)
    .where(_agent.c.active.is_(True), _agent.c.presence == Presence.ONLINE.value)
    .order_by(_agent.c.id)
    .with_for_update()
)
_LOADS = (
    select(_conversation.c.owner_agent_id, func.count())
    .where(
        _conversation.c.state == _AGENT,
        _conversation.c.closed_at.is_(None),
        _conversation.c.owner_agent_id.is_not(None),
    )
    .group_by(_conversation.c.owner_agent_id)
)
_GIVE_TO_AGENT = (
    update(_conversation)
    .where(_conversation.c.id == bindparam("b_id"))
    .values(state=_AGENT, owner_agent_id=bindparam("b_agent_id"), updated_at=bindparam("b_now"))
    .returning(*_conversation.c)
)
_CLAIM_HANDOFF = (
    update(_handoff)
    .where(_handoff.c.id == bindparam("b_id"))
    .values(claimed_at=bindparam("b_now"), agent_id=bindparam("b_agent_id"))
)
_AGENT_ASSIGNED = (
    update(_agent)
    .where(_agent.c.id == bindparam("b_id"))
    .values(last_assigned_at=bindparam("b_now"))
)
_NEW_AUDIT = insert(_audit)


# Units ----------------------------------------------------------------------------------


def get_conversation(connection: Connection, conversation_id: UUID) -> Conversation:
    """See :meth:`handoff.store.sql.SqlStore.get_conversation`."""
    row = connection.execute(_CONVERSATION, {"b_id": conversation_id}).first()
    if row is None:
        raise NotFound("conversation", conversation_id)
    return conversation_value(row)


def get_customer(connection: Connection, customer_id: int) -> Customer:
    """See :meth:`handoff.store.sql.SqlStore.get_customer`."""
    row = connection.execute(_CUSTOMER, {"b_id": customer_id}).first()
    if row is None:
        raise NotFound("customer", customer_id)
    return customer_value(row)


def request_handoff(
    connection: Connection,
    *,
    now: datetime,
    conversation_id: UUID,
    reason: HandoffReason,
    team: str | None,
    summary: str | None,
    promised_wait_s: int | None,
    detail: str | None,
) -> Handoff:
    """See :meth:`handoff.store.sql_queue.QueueSql.request_handoff`."""
    conversation = _locked_conversation(connection, conversation_id)
    if conversation.closed_at is not None:
        raise IllegalTransition(conversation_id, "closed", _QUEUED)
    check_transition(
        conversation_id, ConversationState(conversation.state), ConversationState.QUEUED
    )
    connection.execute(_QUEUE, {"b_id": conversation_id, "b_team": team, "b_now": now})
    row = connection.execute(
        _NEW_HANDOFF,
        {
            "conversation_id": conversation_id,
            "reason": reason.value,
            "team": team,
            "requested_at": now,
            "claimed_at": None,
            "resolved_at": None,
            "agent_id": None,
            "summary": summary,
            "promised_wait_s": promised_wait_s,
            "detail": None if detail is None else detail[:255],
            "released_by": None,
        },
    ).one()
    return handoff_value(row)


def assign(
    connection: Connection,
    *,
    now: datetime,
    conversation_id: UUID,
    away_after: timedelta,
    time_zone: tzinfo = UTC,
) -> Conversation | None:
    """See :meth:`handoff.store.sql_desk.DeskSql.assign`."""
    conversation = _locked_conversation(connection, conversation_id)
    if (
        conversation.state != _QUEUED
        or conversation.owner_agent_id is not None
        or conversation.closed_at
    ):
        return None
    handoff = connection.execute(_OPEN_HANDOFF, {"b_id": conversation_id}).first()
    online = [agent_value(row) for row in connection.execute(_ONLINE_AGENTS_FOR_UPDATE)]
    team = conversation.team
    # Loads only matter among agents who could take it; without one (nobody online, the
    # usual case of a queue) the count over all open conversations is skipped.
    if not candidates_for(online, {}, team=team, now=now, away_after=away_after):
        return None
    chosen = choose_agent(
        candidates_for(
            online,
            _loads(connection),
            team=team,
            now=now,
            away_after=away_after,
            language=conversation.language,
            time_zone=time_zone,
        ),
        exclude=None if handoff is None else handoff.released_by,
    )
    if chosen is None:
        return None
    row = connection.execute(
        _GIVE_TO_AGENT, {"b_id": conversation_id, "b_agent_id": chosen, "b_now": now}
    ).one()
    if handoff is not None:
        connection.execute(_CLAIM_HANDOFF, {"b_id": handoff.id, "b_agent_id": chosen, "b_now": now})
    connection.execute(_AGENT_ASSIGNED, {"b_id": chosen, "b_now": now})
    connection.execute(
        _NEW_AUDIT,
        {
            "actor": f"agent:{chosen}",
            "action": "assign",
            "target": conversation_target(conversation_id),
            "detail": "",
            "created_at": now,
        },
    )
    return conversation_value(row)


def agent_loads(connection: Connection) -> dict[int, int]:
    """See :meth:`handoff.store.sql_desk.DeskSql.agent_loads`."""
    return _loads(connection)


def list_agents(connection: Connection) -> list[Agent]:
    """See :meth:`handoff.store.sql_staff.StaffSql.list_agents`."""
    return [agent_value(row) for row in connection.execute(_AGENTS)]


def get_agent(connection: Connection, agent_id: int) -> Agent:
    """See :meth:`handoff.store.sql_staff.StaffSql.get_agent`."""
    row = connection.execute(_AGENT_BY_ID, {"b_id": agent_id}).first()
    if row is None:
        raise NotFound("agent", agent_id)
    return agent_value(row)


def _locked_conversation(connection: Connection, conversation_id: UUID) -> Any:
    # FOR UPDATE is left out on SQLite, where BEGIN IMMEDIATE already serialises writers.
    row = connection.execute(_LOCKED_CONVERSATION, {"b_id": conversation_id}).first()
    if row is None:
        raise NotFound("conversation", conversation_id)
    return row


def _loads(connection: Connection) -> dict[int, int]:
    return {
        int(agent_id): int(count)
        for agent_id, count in connection.execute(_LOADS)
        if agent_id is not None
    }
