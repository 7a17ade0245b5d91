"""The conversation state machine: every move the desk makes, from which states, to which.

One table (:data:`MOVES`) says which moves exist, the states each may start from and the
state it leads to; the store checks every state change against it inside the changing
transaction, with the state it read under the conversation's row lock. The diagram in
docs/architecture.md ("Conversation states") draws the same table.

Moves marked as an agent's need the agent to own the conversation: in any other state no
agent owns it. A closed conversation (resolved: state BOT with ``closed_at`` set) allows no
move; the customer's next message opens a new one.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from uuid import UUID

from handoff.errors import AlreadyClaimed, IllegalTransition, NotOwner, NotWithAgent
from handoff.model import ConversationState

BOT, QUEUED, AGENT = ConversationState.BOT, ConversationState.QUEUED, ConversationState.AGENT


class Move(enum.StrEnum):
    """What the desk does to a conversation."""

    REQUEST_HANDOFF = "request handoff"
    CLAIM = "claim"  # an agent claims it, or routing assigns it
    RELEASE = "release"  # released, transferred to a team, the agent went silent
    TRANSFER = "transfer"  # to a colleague: the owner changes, the state does not
    HAND_BACK = "hand back"
    RESOLVE = "resolve"  # by the owning agent
    CLOSE = "close"  # by the system (the customer, the command line), in any state


@dataclass(frozen=True, slots=True)
class Rule:
    """Where a move may start and where it leads."""

    sources: frozenset[ConversationState]
    target: ConversationState
    by_owner: bool = False


MOVES: Mapping[Move, Rule] = MappingProxyType(
    {
        Move.REQUEST_HANDOFF: Rule(frozenset({BOT}), QUEUED),
        Move.CLAIM: Rule(frozenset({QUEUED}), AGENT),
        Move.RELEASE: Rule(frozenset({AGENT}), QUEUED, by_owner=True),
        Move.TRANSFER: Rule(frozenset({AGENT}), AGENT, by_owner=True),
        Move.HAND_BACK: Rule(frozenset({AGENT}), BOT, by_owner=True),
        Move.RESOLVE: Rule(frozenset({AGENT}), BOT, by_owner=True),
        Move.CLOSE: Rule(frozenset({BOT, QUEUED, AGENT}), BOT),
    }
)


def allows(move: Move, current: ConversationState, *, closed: bool = False) -> bool:
    """Tell whether ``move`` may start from ``current`` (never on a closed conversation)."""
    return not closed and current in MOVES[move].sources


def check_move(
    conversation_id: UUID,
    move: Move,
    current: ConversationState,
    *,
    closed: bool = False,
    owner_agent_id: int | None = None,
    agent_id: int | None = None,
) -> ConversationState:
    """Check ``move`` against the conversation as read under its row lock.

    Args:
        conversation_id: the conversation.
        move: what is asked.
        current: its state now.
        closed: whether it is closed.
        owner_agent_id: who owns it now.
        agent_id: who asks, for a move of the owning agent's.

    Returns:
        The state the move leads to.

    Raises:
        AlreadyClaimed: a claim of a conversation that is not waiting in the queue.
        NotWithAgent: an agent's move on a conversation no agent owns.
        NotOwner: an agent's move on a conversation another agent owns.
        IllegalTransition: any other move its state does not allow, or a closed conversation.
        ValueError: an agent's move without ``agent_id``.
    """
    rule = MOVES[move]
    if not rule.by_owner:
        if allows(move, current, closed=closed):
            return rule.target
        if move is Move.CLAIM:
            raise AlreadyClaimed(conversation_id, owner_agent_id, current=current, closed=closed)
        raise IllegalTransition(
            conversation_id, current, rule.target, closed=closed, move=move.value
        )
    if agent_id is None:
        raise ValueError(f"{move} is an agent's move: say which agent")
    check_owner(
        conversation_id,
        current,
        closed=closed,
        owner_agent_id=owner_agent_id,
        agent_id=agent_id,
        act=move.value,
        target=rule.target,
    )
    return rule.target


def check_owner(
    conversation_id: UUID,
    current: ConversationState,
    *,
    closed: bool,
    owner_agent_id: int | None,
    agent_id: int,
    act: str,
    target: ConversationState = AGENT,
) -> None:
    """Check that ``agent_id`` has the conversation: it is open, with an agent, and theirs.

    What every move of the owning agent's checks, and what an act that moves nothing (a
    reply to the customer) checks alone.

    Args:
        conversation_id: the conversation.
        current: its state now.
        closed: whether it is closed.
        owner_agent_id: who owns it now.
        agent_id: who acts.
        act: what they do (``reply``, or a move's name), for the error.
        target: the state the act leads to (an act that moves nothing leaves it with the agent).

    Raises:
        IllegalTransition: the conversation is closed.
        NotWithAgent: no agent owns it (it is queued or with the bot).
        NotOwner: another agent owns it.
    """
    if closed:
        raise IllegalTransition(conversation_id, current, target, closed=True, move=act)
    if current is not AGENT:
        raise NotWithAgent(conversation_id, agent_id, current=current, target=target, move=act)
    if owner_agent_id != agent_id:
        raise NotOwner(conversation_id, agent_id)
