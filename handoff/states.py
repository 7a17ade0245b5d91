"""The conversation state machine: which transitions exist, checked in one place."""

from __future__ import annotations

from uuid import UUID

from handoff.errors import IllegalTransition
from handoff.model import ConversationState

_ALLOWED: frozenset[tuple[ConversationState, ConversationState]] = frozenset(
    {
        (ConversationState.BOT, ConversationState.QUEUED),  # handoff requested
        (ConversationState.QUEUED, ConversationState.AGENT),  # agent claims
        (ConversationState.QUEUED, ConversationState.BOT),  # resolved or handed back
        (ConversationState.AGENT, ConversationState.QUEUED),  # released, transfer, inactive
        (ConversationState.AGENT, ConversationState.BOT),  # resolved or handed back
    }
)


def can_transition(current: ConversationState, target: ConversationState) -> bool:
    """Tell whether the state machine connects ``current`` to ``target``."""
    return (current, target) in _ALLOWED


def check_transition(
    conversation_id: UUID, current: ConversationState, target: ConversationState
) -> None:
    """Raise if a conversation may not move from ``current`` to ``target``.

    Raises:
        IllegalTransition: the transition is not in the state machine.
    """
    if not can_transition(current, target):
        raise IllegalTransition(conversation_id, current.value, target.value)
