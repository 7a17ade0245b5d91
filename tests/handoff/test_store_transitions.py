"""Every state change of the store goes through the table of handoff/states.py.

Each store operation that moves a conversation is tried from every state (and on a closed
conversation), on SQLite and PostgreSQL: the moves the table allows happen, every other
one is refused with IllegalTransition naming the state the conversation is in and the one
it was asked to reach, and leaves the conversation as it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from uuid import UUID

import pytest

from handoff.errors import IllegalTransition, NotOwner
from handoff.model import Conversation, ConversationState, HandoffReason, Presence
from handoff.states import MOVES
from handoff.store.sql import SqlStore

BOT, QUEUED, AGENT = ConversationState.BOT, ConversationState.QUEUED, ConversationState.AGENT
CLOSED = "closed"  # a conversation resolved: state BOT, closed_at set

Operation = Callable[[SqlStore, UUID, list[int]], Awaitable[object]]

# Each operation with the state it leads to. The agent acting is agent_ids[0], who owns
# the conversation when it is with an agent.
OPERATIONS: dict[str, tuple[Operation, ConversationState]] = {
    "request_handoff": (
        lambda s, c, a: s.request_handoff(c, reason=HandoffReason.CUSTOMER_ASKED),
        QUEUED,
    ),
    "claim": (lambda s, c, a: s.claim(c, a[1]), AGENT),
    "release": (lambda s, c, a: s.release(c, a[0]), QUEUED),
    "transfer_to_team": (lambda s, c, a: s.transfer_to_team(c, a[0], "accounts"), QUEUED),
    "transfer_to_agent": (lambda s, c, a: s.transfer_to_agent(c, a[0], a[1]), AGENT),
    "hand_back": (lambda s, c, a: s.hand_back(c, a[0]), BOT),
    "resolve_by_agent": (lambda s, c, a: s.resolve(c, agent_id=a[0]), BOT),
    "resolve_by_system": (lambda s, c, a: s.resolve(c, agent_id=None), BOT),
}

# (state, operation) pairs that are allowed; every other pair is refused.
LEGAL = {
    (BOT, "request_handoff"),
    (BOT, "resolve_by_system"),
    (QUEUED, "claim"),
    (QUEUED, "resolve_by_system"),
    (AGENT, "release"),
    (AGENT, "transfer_to_team"),
    (AGENT, "transfer_to_agent"),
    (AGENT, "hand_back"),
    (AGENT, "resolve_by_agent"),
    (AGENT, "resolve_by_system"),
}
STARTS: list[ConversationState | str] = [BOT, QUEUED, AGENT, CLOSED]
CASES = [(start, name) for start in STARTS for name in OPERATIONS]


def _case_id(case: tuple[ConversationState | str, str]) -> str:
    """``queued-claim``, ``closed-hand_back``: the starting state, then the operation."""
    start, name = case
    return f"{start}-{name}"


async def _conversation_in(
    store: SqlStore, conversation: Conversation, start: ConversationState | str, agents: list[int]
) -> Conversation:
    if start in (QUEUED, AGENT):
        await store.request_handoff(
            conversation.id, reason=HandoffReason.CUSTOMER_ASKED, team="it-support"
        )
    if start is AGENT:
        await store.claim(conversation.id, agents[0])
    if start == CLOSED:
        await store.resolve(conversation.id, agent_id=None)
    return await store.get_conversation(conversation.id)


@pytest.mark.parametrize(
    ("start", "name"),
    [pytest.param(*case, id=_case_id(case)) for case in CASES if case in LEGAL],
)
async def test_a_legal_move_happens(
    store: SqlStore,
    conversation: Conversation,
    agent_ids: list[int],
    start: ConversationState,
    name: str,
) -> None:
    operation, target = OPERATIONS[name]
    before = await _conversation_in(store, conversation, start, agent_ids)
    await operation(store, before.id, agent_ids)
    after = await store.get_conversation(before.id)
    assert after.state is target
    assert (after.owner_agent_id is not None) == (target is AGENT)


@pytest.mark.parametrize(
    ("start", "name"),
    [pytest.param(*case, id=_case_id(case)) for case in CASES if case not in LEGAL],
)
async def test_an_illegal_move_is_refused_naming_real_states(
    store: SqlStore,
    conversation: Conversation,
    agent_ids: list[int],
    start: ConversationState | str,
    name: str,
) -> None:
    operation, target = OPERATIONS[name]
    before = await _conversation_in(store, conversation, start, agent_ids)
    with pytest.raises(IllegalTransition) as raised:
        await operation(store, before.id, agent_ids)
    refused = raised.value
    assert (refused.conversation_id, refused.current, refused.target) == (
        before.id,
        before.state,
        target,
    )
    assert {refused.current, refused.target} <= set(ConversationState)
    assert refused.closed == (start == CLOSED)
    assert await store.get_conversation(before.id) == before


def test_the_cases_drive_every_pair_of_states_the_table_refuses() -> None:
    refused_pairs = {
        (start, OPERATIONS[name][1]) for start, name in CASES if (start, name) not in LEGAL
    }
    changes = {
        (current, rule.target)
        for rule in MOVES.values()
        for current in rule.sources
        if current is not rule.target
    }
    assert {
        (current, target)
        for current in ConversationState
        for target in ConversationState
        if (current, target) not in changes
    } <= refused_pairs


async def test_another_agents_move_is_not_theirs_and_no_transition_error(
    store: SqlStore, conversation: Conversation, agent_ids: list[int]
) -> None:
    owned = await _conversation_in(store, conversation, AGENT, agent_ids)
    with pytest.raises(NotOwner) as raised:
        await store.release(owned.id, agent_ids[1])
    assert not isinstance(raised.value, IllegalTransition)  # the state allows a release
    assert await store.get_conversation(owned.id) == owned


@pytest.mark.parametrize("start", [BOT, AGENT, CLOSED])
async def test_routing_leaves_a_conversation_that_is_not_waiting(
    store: SqlStore,
    conversation: Conversation,
    agent_ids: list[int],
    start: ConversationState | str,
) -> None:
    for agent_id in agent_ids:
        await store.set_presence(agent_id, Presence.ONLINE)
    before = await _conversation_in(store, conversation, start, agent_ids)
    assert await store.assign(before.id, away_after=timedelta(minutes=5)) is None
    assert await store.get_conversation(before.id) == before


async def test_routing_gives_a_waiting_conversation_to_an_agent(
    store: SqlStore, conversation: Conversation, agent_ids: list[int]
) -> None:
    await store.set_presence(agent_ids[0], Presence.ONLINE)
    queued = await _conversation_in(store, conversation, QUEUED, agent_ids)
    assigned = await store.assign(queued.id, away_after=timedelta(minutes=5))
    assert assigned is not None
    assert (assigned.state, assigned.owner_agent_id) == (AGENT, agent_ids[0])
