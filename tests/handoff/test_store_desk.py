"""The desk part of the store: presence, automatic assignment, transfers, feedback.

Every test runs on a real SQLite file and a real PostgreSQL schema; the concurrency tests
fire real simultaneous transactions at both.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from handoff.errors import AgentUnavailable, NotFound, NotOwner
from handoff.model import (
    Conversation,
    ConversationState,
    HandoffReason,
    NewMessage,
    Presence,
    SenderKind,
)
from handoff.store.sql import SqlStore
from tests.handoff.conftest import FakeClock

AWAY_AFTER = timedelta(minutes=5)


async def _queued(
    store: SqlStore, customer: str, *, team: str | None = "it-support"
) -> Conversation:
    who = await store.upsert_customer(channel="web", external_id=customer)
    conversation = await store.open_conversation(who.id)
    await store.request_handoff(conversation.id, reason=HandoffReason.CUSTOMER_ASKED, team=team)
    return conversation


async def _online(
    store: SqlStore, login: str, *, capacity: int = 3, team: str = "it-support"
) -> int:
    agent = await store.add_agent(
        login=login, name=login.title(), password_hash="x", teams=[team], capacity=capacity
    )
    await store.set_presence(agent.id, Presence.ONLINE)
    return agent.id


async def test_an_online_agent_with_capacity_gets_the_conversation(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    conversation = await _queued(store, "c1")
    assigned = await store.assign(conversation.id, away_after=AWAY_AFTER)
    assert assigned is not None
    assert (assigned.state, assigned.owner_agent_id) == (ConversationState.AGENT, maria)
    handoff = await store.current_handoff(conversation.id)
    assert handoff is not None
    assert handoff.agent_id == maria


@pytest.mark.parametrize("presence", [Presence.AWAY, Presence.OFFLINE])
async def test_an_agent_not_online_gets_nothing(store: SqlStore, presence: Presence) -> None:
    maria = await _online(store, "maria")
    await store.set_presence(maria, presence)
    conversation = await _queued(store, "c1")
    assert await store.assign(conversation.id, away_after=AWAY_AFTER) is None
    assert (await store.get_conversation(conversation.id)).state is ConversationState.QUEUED


async def test_an_online_agent_idle_in_the_console_counts_as_away(
    store: SqlStore, clock: FakeClock
) -> None:
    await _online(store, "maria")
    clock.advance(AWAY_AFTER.total_seconds() + 1)
    conversation = await _queued(store, "c1")
    assert await store.assign(conversation.id, away_after=AWAY_AFTER) is None


async def test_console_activity_keeps_an_agent_online(store: SqlStore, clock: FakeClock) -> None:
    maria = await _online(store, "maria")
    clock.advance(AWAY_AFTER.total_seconds() + 1)
    await store.agent_seen(maria)
    conversation = await _queued(store, "c1")
    assigned = await store.assign(conversation.id, away_after=AWAY_AFTER)
    assert assigned is not None
    assert assigned.owner_agent_id == maria


async def test_an_agent_of_another_team_gets_nothing(store: SqlStore) -> None:
    await _online(store, "sofie", team="security")
    conversation = await _queued(store, "c1", team="it-support")
    assert await store.assign(conversation.id, away_after=AWAY_AFTER) is None


async def test_the_least_loaded_agent_is_chosen(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    jonas = await _online(store, "jonas")
    first = await _queued(store, "c1")
    await store.claim(first.id, maria)
    second = await _queued(store, "c2")
    assigned = await store.assign(second.id, away_after=AWAY_AFTER)
    assert assigned is not None
    assert assigned.owner_agent_id == jonas


async def test_the_agent_who_released_it_does_not_get_it_back(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    conversation = await _queued(store, "c1")
    await store.claim(conversation.id, maria)
    await store.release(conversation.id, maria)
    assert await store.assign(conversation.id, away_after=AWAY_AFTER) is None


async def test_ten_simultaneous_handoffs_never_exceed_capacity(store: SqlStore) -> None:
    agents = [await _online(store, login, capacity=2) for login in ("maria", "jonas")]
    conversations = [await _queued(store, f"c{i}") for i in range(10)]
    outcomes = await asyncio.gather(
        *(store.assign(c.id, away_after=AWAY_AFTER) for c in conversations)
    )
    owners = Counter(o.owner_agent_id for o in outcomes if o is not None)
    assert owners == Counter({agents[0]: 2, agents[1]: 2})
    assert await store.agent_loads() == {agents[0]: 2, agents[1]: 2}


async def test_assignment_racing_twenty_claims_gives_one_owner(store: SqlStore) -> None:
    await _online(store, "maria")
    claimers = [
        (await store.add_agent(login=f"a{i}", name=f"A{i}", password_hash="x")).id
        for i in range(20)
    ]
    conversation = await _queued(store, "c1")
    outcomes = await asyncio.gather(
        store.assign(conversation.id, away_after=AWAY_AFTER),
        *(store.claim(conversation.id, agent) for agent in claimers),
        return_exceptions=True,
    )
    winners = [o for o in outcomes if isinstance(o, Conversation)]
    assert len(winners) == 1
    owner = (await store.get_conversation(conversation.id)).owner_agent_id
    assert winners[0].owner_agent_id == owner


async def test_transfer_to_an_agent_changes_the_owner(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    jonas = await _online(store, "jonas")
    conversation = await _queued(store, "c1")
    await store.claim(conversation.id, maria)
    moved = await store.transfer_to_agent(conversation.id, maria, jonas)
    assert (moved.state, moved.owner_agent_id) == (ConversationState.AGENT, jonas)


async def test_transfer_to_a_deactivated_agent_is_refused(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    jonas = await _online(store, "jonas")
    await store.update_agent(jonas, active=False)
    conversation = await _queued(store, "c1")
    await store.claim(conversation.id, maria)
    with pytest.raises(AgentUnavailable):
        await store.transfer_to_agent(conversation.id, maria, jonas)


async def test_transfer_to_a_team_queues_it_there(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    conversation = await _queued(store, "c1")
    await store.claim(conversation.id, maria)
    moved = await store.transfer_to_team(conversation.id, maria, "security")
    assert (moved.state, moved.team, moved.owner_agent_id) == (
        ConversationState.QUEUED,
        "security",
        None,
    )
    assert [entry.conversation.id for entry in await store.queue(team="security")] == [
        conversation.id
    ]


async def test_only_the_owner_may_transfer(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    jonas = await _online(store, "jonas")
    conversation = await _queued(store, "c1")
    await store.claim(conversation.id, maria)
    with pytest.raises(NotOwner):
        await store.transfer_to_team(conversation.id, jonas, "security")


async def test_hand_back_returns_an_open_conversation_to_the_bot(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    conversation = await _queued(store, "c1")
    await store.claim(conversation.id, maria)
    back = await store.hand_back(conversation.id, maria)
    assert (back.state, back.owner_agent_id, back.closed_at) == (ConversationState.BOT, None, None)
    assert await store.current_handoff(conversation.id) is None


async def test_feedback_is_credited_to_the_agent(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    conversation = await _queued(store, "c1")
    await store.record_feedback(conversation.id, agent_id=maria, rating=5)
    (stored,) = await store.feedback(conversation.id)
    assert (stored.agent_id, stored.rating, stored.helpful) == (maria, 5, None)


@pytest.mark.parametrize(("helpful", "rating"), [(None, None), (True, 4), (None, 6)])
async def test_malformed_feedback_is_refused(
    store: SqlStore, conversation: Conversation, helpful: bool | None, rating: int | None
) -> None:
    with pytest.raises(ValueError, match=r"feedback|rating"):
        await store.record_feedback(conversation.id, helpful=helpful, rating=rating)


async def test_a_verdict_typed_in_a_message_marks_it_with_the_buttons_payload(
    store: SqlStore, conversation: Conversation
) -> None:
    typed, _ = await store.append_message(
        conversation.id,
        NewMessage(sender=SenderKind.CUSTOMER, text="nej det hjalp ikke", meta={"x": 1}),
    )

    stored = await store.record_feedback(conversation.id, helpful=False, typed_in=typed.id)

    (marked,) = await store.transcript(conversation.id)
    assert (marked.text, marked.meta) == ("nej det hjalp ikke", {"x": 1, "payload": "/helpful no"})
    assert stored.helpful is False


async def test_a_typed_verdict_must_be_a_message_of_the_conversation(
    store: SqlStore, conversation: Conversation
) -> None:
    other = await store.open_conversation(
        (await store.upsert_customer(channel="web", external_id="w1")).id
    )
    elsewhere, _ = await store.append_message(
        other.id, NewMessage(sender=SenderKind.CUSTOMER, text="no")
    )

    with pytest.raises(NotFound):
        await store.record_feedback(conversation.id, helpful=False, typed_in=elsewhere.id)
    with pytest.raises(ValueError, match="typed"):
        await store.record_feedback(conversation.id, rating=2, typed_in=elsewhere.id)
    assert await store.feedback(conversation.id) == []
    (unmarked,) = await store.transcript(other.id)
    assert unmarked.meta == {}


async def test_a_handoff_remembers_its_detail(store: SqlStore, conversation: Conversation) -> None:
    await store.request_handoff(
        conversation.id, reason=HandoffReason.FRUSTRATION, detail="word 'useless'"
    )
    (handoff,) = await store.handoffs(conversation.id)
    assert (handoff.reason, handoff.detail) == (HandoffReason.FRUSTRATION, "word 'useless'")


async def test_agent_profile_changes_are_stored(store: SqlStore) -> None:
    maria = await _online(store, "maria")
    changed = await store.update_agent(
        maria, capacity=5, languages=["da"], working_hours={"mon": ["09:00-17:00"]}
    )
    assert (changed.capacity, changed.languages, changed.working_hours) == (
        5,
        ("da",),
        {"mon": ("09:00-17:00",)},
    )
