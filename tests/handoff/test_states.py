"""The conversation state machine allows exactly the transitions of docs/architecture.md.

Each pair of states is tried with every move, through ``check_move`` (what the store asks
inside each changing transaction), by the agent who owns the conversation.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest

from handoff.errors import HandoffError
from handoff.model import ConversationState
from handoff.states import Move, check_move

BOT, QUEUED, AGENT = ConversationState.BOT, ConversationState.QUEUED, ConversationState.AGENT

TRANSITIONS = [
    (BOT, BOT, False),
    (BOT, QUEUED, True),  # handoff requested
    (BOT, AGENT, False),  # an agent must claim from the queue
    (QUEUED, BOT, True),  # resolved or handed back
    (QUEUED, QUEUED, False),
    (QUEUED, AGENT, True),  # agent claims
    (AGENT, BOT, True),  # resolved or handed back
    (AGENT, QUEUED, True),  # released, transferred, agent inactive
    (AGENT, AGENT, False),  # a transfer to a colleague changes the owner, not the state
]


OWNER = 7


def _reached(current: ConversationState) -> set[ConversationState]:
    """The other states some move takes a conversation in ``current`` to, by its owner."""
    reached = set()
    for move in Move:
        with contextlib.suppress(HandoffError):
            reached.add(
                check_move(uuid.uuid4(), move, current, owner_agent_id=OWNER, agent_id=OWNER)
            )
    return reached - {current}


@pytest.mark.parametrize(("current", "target", "allowed"), TRANSITIONS)
def test_a_move_connects_exactly_the_transitions_of_the_diagram(
    current: ConversationState, target: ConversationState, allowed: bool
) -> None:
    assert (target in _reached(current)) is allowed


def test_the_table_covers_every_pair() -> None:
    assert {(c, t) for c, t, _ in TRANSITIONS} == {
        (c, t) for c in ConversationState for t in ConversationState
    }


@pytest.mark.parametrize("current", list(ConversationState))
def test_a_closed_conversation_allows_no_move(current: ConversationState) -> None:
    for move in Move:
        with pytest.raises(HandoffError):
            check_move(uuid.uuid4(), move, current, closed=True, agent_id=OWNER)
