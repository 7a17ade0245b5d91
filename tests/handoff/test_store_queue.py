"""Handoffs, the queue and ownership, on a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from handoff.errors import AlreadyClaimed, IllegalTransition, NotFound, NotOwner
from handoff.model import Conversation, ConversationState, HandoffReason, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.handoff.conftest import START, FakeClock


def _customer_says(text: str, external_id: str | None = None) -> NewMessage:
    return NewMessage(sender=SenderKind.CUSTOMER, text=text, external_id=external_id)


async def test_request_handoff_queues_a_bot_conversation(
    store: SqlStore, conversation: Conversation
) -> None:
    handoff = await store.request_handoff(
        conversation.id,
        reason=HandoffReason.REPEATED_FALLBACK,
        team="it-support",
        summary="VPN fails",
        promised_wait_s=600,
    )
    assert await store.current_handoff(conversation.id) == handoff
    assert (handoff.reason, handoff.team, handoff.requested_at) == (
        HandoffReason.REPEATED_FALLBACK,
        "it-support",
        START,
    )
    assert (handoff.summary, handoff.promised_wait_s, handoff.claimed_at) == (
        "VPN fails",
        600,
        None,
    )
    queued = await store.get_conversation(conversation.id)
    assert (queued.state, queued.team) == (ConversationState.QUEUED, "it-support")


async def test_a_second_handoff_request_is_illegal(store: SqlStore, queued: Conversation) -> None:
    with pytest.raises(IllegalTransition) as raised:
        await store.request_handoff(queued.id, reason=HandoffReason.CUSTOMER_ASKED)
    assert (raised.value.current, raised.value.target) == ("queued", "queued")


async def test_claiming_a_bot_conversation_fails(
    store: SqlStore, conversation: Conversation, agent_ids: list[int]
) -> None:
    with pytest.raises(AlreadyClaimed) as raised:
        await store.claim(conversation.id, agent_ids[0])
    assert raised.value.owner_agent_id is None
    assert (await store.get_conversation(conversation.id)).state is ConversationState.BOT


async def test_claim_gives_the_conversation_to_the_agent(
    store: SqlStore, queued: Conversation, agent_ids: list[int], clock: FakeClock
) -> None:
    clock.advance(90)
    claimed = await store.claim(queued.id, agent_ids[0])
    assert (claimed.state, claimed.owner_agent_id) == (ConversationState.AGENT, agent_ids[0])
    handoff = await store.current_handoff(queued.id)
    assert handoff is not None
    assert (handoff.agent_id, handoff.claimed_at) == (agent_ids[0], clock())
    assert await store.queue_position(queued.id) is None
    assert await store.agent_conversations(agent_ids[0]) == [claimed]
    with pytest.raises(AlreadyClaimed) as raised:
        await store.claim(queued.id, agent_ids[1])
    assert raised.value.owner_agent_id == agent_ids[0]


async def test_twenty_concurrent_claims_have_one_winner(
    store: SqlStore, queued: Conversation
) -> None:
    agents = [
        await store.add_agent(login=f"agent{i}", name=f"Agent {i}", password_hash="x")
        for i in range(20)
    ]
    outcomes = await asyncio.gather(
        *(store.claim(queued.id, agent.id) for agent in agents), return_exceptions=True
    )
    winners = [o for o in outcomes if isinstance(o, Conversation)]
    losers = [o for o in outcomes if isinstance(o, AlreadyClaimed)]
    assert (len(winners), len(losers)) == (1, 19)
    owner = (await store.get_conversation(queued.id)).owner_agent_id
    assert winners[0].owner_agent_id == owner
    assert {loser.owner_agent_id for loser in losers} == {owner}


async def test_claim_of_a_missing_conversation_is_not_found(
    store: SqlStore, agent_ids: list[int]
) -> None:
    with pytest.raises(NotFound) as raised:
        await store.claim(uuid.uuid4(), agent_ids[0])
    assert raised.value.kind == "conversation"


async def test_claim_by_a_missing_agent_is_not_found(store: SqlStore, queued: Conversation) -> None:
    with pytest.raises(NotFound) as raised:
        await store.claim(queued.id, 999)
    assert raised.value.kind == "agent"
    assert (await store.get_conversation(queued.id)).state is ConversationState.QUEUED


async def test_release_puts_the_conversation_back_in_the_queue(
    store: SqlStore, queued: Conversation, agent_ids: list[int]
) -> None:
    await store.claim(queued.id, agent_ids[0])
    with pytest.raises(NotOwner):
        await store.release(queued.id, agent_ids[1])
    released = await store.release(queued.id, agent_ids[0])
    assert (released.state, released.owner_agent_id) == (ConversationState.QUEUED, None)
    handoff = await store.current_handoff(queued.id)
    assert handoff is not None
    assert (handoff.agent_id, handoff.claimed_at) == (None, None)
    assert await store.queue_position(queued.id) == 1
    assert (await store.claim(queued.id, agent_ids[1])).owner_agent_id == agent_ids[1]


async def test_release_of_a_queued_conversation_is_not_the_agents(
    store: SqlStore, queued: Conversation, agent_ids: list[int]
) -> None:
    with pytest.raises(NotOwner):
        await store.release(queued.id, agent_ids[0])


async def test_resolve_closes_conversation_and_handoff(
    store: SqlStore, queued: Conversation, agent_ids: list[int], clock: FakeClock
) -> None:
    await store.claim(queued.id, agent_ids[0])
    with pytest.raises(NotOwner):
        await store.resolve(queued.id, agent_id=agent_ids[1])
    clock.advance(300)
    resolved = await store.resolve(queued.id, agent_id=agent_ids[0])
    assert (resolved.state, resolved.owner_agent_id, resolved.closed_at) == (
        ConversationState.BOT,
        None,
        clock(),
    )
    assert await store.current_handoff(queued.id) is None
    assert await store.agent_conversations(agent_ids[0]) == []
    with pytest.raises(IllegalTransition):
        await store.resolve(queued.id, agent_id=None)


async def test_claim_and_resolve_are_audited(
    store: SqlStore, queued: Conversation, agent_ids: list[int]
) -> None:
    await store.claim(queued.id, agent_ids[0])
    await store.resolve(queued.id, agent_id=agent_ids[0])
    await store.audit(actor="admin", action="export", target="transcripts", detail="csv")
    async with store.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT actor, action, target, detail FROM audit_log ORDER BY id")
            )
        ).all()
    target = f"conversation:{queued.id}"
    assert [tuple(row) for row in rows] == [
        (f"agent:{agent_ids[0]}", "claim", target, ""),
        (f"agent:{agent_ids[0]}", "resolve", target, ""),
        ("admin", "export", "transcripts", "csv"),
    ]


# Queue order: (customer, team, seconds after START the handoff was requested).
ARRIVALS = [
    ("a", "it-support", 0),
    ("b", "accounts", 10),
    ("c", "it-support", 20),
    ("d", None, 30),
    ("e", "it-support", 20),  # same time as c: the older handoff (c) goes first
    ("f", "accounts", 5),
]


async def test_queue_orders_by_request_time_within_each_team(
    store: SqlStore, clock: FakeClock
) -> None:
    ids = {}
    for name, team, offset in sorted(ARRIVALS, key=lambda arrival: arrival[2]):
        clock.advance((START + timedelta(seconds=offset) - clock()).total_seconds())
        customer = await store.upsert_customer(channel="web", external_id=name)
        conversation = await store.open_conversation(customer.id)
        await store.append_message(conversation.id, _customer_says(f"help {name}"))
        await store.request_handoff(conversation.id, reason=HandoffReason.CUSTOMER_ASKED, team=team)
        ids[name] = conversation.id
    entries = await store.queue()
    assert [(e.customer.external_id, e.position) for e in entries] == [
        ("a", 1),
        ("f", 1),
        ("b", 2),
        ("c", 2),
        ("e", 3),
        ("d", 1),
    ]
    assert [e.last_customer_text for e in entries][:2] == ["help a", "help f"]
    it_support = await store.queue(team="it-support")
    assert [(e.customer.external_id, e.position) for e in it_support] == [
        ("a", 1),
        ("c", 2),
        ("e", 3),
    ]
    positions = {name: await store.queue_position(cid) for name, cid in ids.items()}
    assert positions == {"a": 1, "b": 2, "c": 2, "d": 1, "e": 3, "f": 1}


async def test_queue_position_of_a_bot_conversation_is_none(
    store: SqlStore, conversation: Conversation
) -> None:
    assert await store.queue_position(conversation.id) is None


async def test_recent_conversations_newest_first(store: SqlStore, clock: FakeClock) -> None:
    opened = []
    for name in ("x", "y", "z"):
        clock.advance(60)
        customer = await store.upsert_customer(channel="web", external_id=name)
        opened.append(await store.open_conversation(customer.id))
    clock.advance(60)
    await store.append_message(opened[0].id, _customer_says("bump"))
    recent = await store.recent_conversations(limit=2)
    assert [c.id for c in recent] == [opened[0].id, opened[2].id]
