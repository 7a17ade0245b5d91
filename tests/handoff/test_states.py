"""The conversation state machine allows exactly the transitions of docs/architecture.md."""

from __future__ import annotations

import uuid

import pytest

from handoff.errors import IllegalTransition
from handoff.model import ConversationState
from handoff.states import can_transition, check_transition

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


@pytest.mark.parametrize(("current", "target", "allowed"), TRANSITIONS)
def test_can_transition(
    current: ConversationState, target: ConversationState, allowed: bool
) -> None:
    assert can_transition(current, target) is allowed


def test_the_table_covers_every_pair() -> None:
    assert {(c, t) for c, t, _ in TRANSITIONS} == {
        (c, t) for c in ConversationState for t in ConversationState
    }


@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, t, allowed in TRANSITIONS if not allowed]
)
def test_check_transition_names_the_illegal_move(
    current: ConversationState, target: ConversationState
) -> None:
    conversation_id = uuid.uuid4()
    with pytest.raises(IllegalTransition) as raised:
        check_transition(conversation_id, current, target)
    assert (raised.value.conversation_id, raised.value.current, raised.value.target) == (
        conversation_id,
        current.value,
        target.value,
    )


@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, t, allowed in TRANSITIONS if allowed]
)
def test_check_transition_accepts_a_legal_move(
    current: ConversationState, target: ConversationState
) -> None:
    check_transition(uuid.uuid4(), current, target)
