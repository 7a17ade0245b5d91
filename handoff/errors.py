"""The handoff package's errors, in two branches by who can act on them.

* :class:`HandoffError` and its subclasses: the desk refused what was asked (a move the
  conversation's state does not allow, another agent's conversation, an unknown record).
  Whoever asked can act on it: choose another conversation, correct the input.
* :class:`StoreUnavailable`: the database could not be reached or failed. Nothing was
  refused, and nobody but an operator can act on it; callers answer "try again later" and
  retry. It is deliberately not a :class:`HandoffError`, so no ``except HandoffError``
  mistakes an outage for a refusal ("not yours", "the agent acted meanwhile").

Every error carries the data its message needs.
"""

from __future__ import annotations

import enum
from uuid import UUID

from handoff.model import ConversationState


class HandoffError(Exception):
    """Base of every error raised by the human desk."""


class IllegalTransition(HandoffError):
    """The state machine (:mod:`handoff.states`) does not allow a move from the state the
    conversation is in, or the conversation is closed and allows none.

    Attributes:
        current: the state the conversation is in.
        target: the state the move would have taken it to.
        closed: the conversation is closed (a closed conversation is in state BOT).
        move: what was asked (``claim``, ``release``, ...), when a move was asked.
    """

    def __init__(
        self,
        conversation_id: UUID,
        current: ConversationState,
        target: ConversationState,
        *,
        closed: bool = False,
        move: str | None = None,
    ) -> None:
        how = "" if move is None else f" ({move})"
        if closed:
            said = f"conversation {conversation_id} is closed: it cannot go from {current} "
            said += f"to {target}{how}"
        else:
            said = f"conversation {conversation_id} cannot go from {current} to {target}{how}"
        super().__init__(said)
        self.conversation_id = conversation_id
        self.current = current
        self.target = target
        self.closed = closed
        self.move = move


class AlreadyClaimed(IllegalTransition):
    """A claim refused: another agent owns the conversation, or it is not waiting in the queue.

    Attributes:
        owner_agent_id: who owns it now (None when nobody does).
    """

    def __init__(
        self,
        conversation_id: UUID,
        owner_agent_id: int | None,
        *,
        current: ConversationState,
        closed: bool = False,
    ) -> None:
        super().__init__(
            conversation_id, current, ConversationState.AGENT, closed=closed, move="claim"
        )
        self.owner_agent_id = owner_agent_id


class NotOwner(HandoffError):
    """An agent acted on a conversation that another agent (or nobody) owns."""

    def __init__(self, conversation_id: UUID, agent_id: int) -> None:
        super().__init__(f"agent {agent_id} does not own conversation {conversation_id}")
        self.conversation_id = conversation_id
        self.agent_id = agent_id


class NotWithAgent(NotOwner, IllegalTransition):
    """An agent's move (release, transfer, hand back, resolve) on a conversation no agent
    owns: it is queued or with the bot. Both not the agent's and not a move its state allows.
    """

    def __init__(
        self,
        conversation_id: UUID,
        agent_id: int,
        *,
        current: ConversationState,
        target: ConversationState,
        move: str,
    ) -> None:
        IllegalTransition.__init__(self, conversation_id, current, target, move=move)
        self.agent_id = agent_id


class Refusal(enum.StrEnum):
    """Why the desk refused an agent's act on a conversation, in the terms an agent is told:
    every channel says the same thing in its own words."""

    CLOSED = "closed"  # resolved, or closed by the customer or an admin
    IN_THE_QUEUE = "in the queue"  # nobody has it
    WITH_THE_BOT = "with the bot"  # handed back; nobody has it
    NOT_YOURS = "not yours"  # another agent has it


def refusal_of(exc: NotOwner | IllegalTransition) -> Refusal:
    """What happened to a conversation that refused an agent's act (from the state the
    desk read as it refused)."""
    if isinstance(exc, IllegalTransition):
        if exc.closed:
            return Refusal.CLOSED
        if exc.current is ConversationState.QUEUED:
            return Refusal.IN_THE_QUEUE
        if exc.current is ConversationState.BOT:
            return Refusal.WITH_THE_BOT
    return Refusal.NOT_YOURS


class NotFound(HandoffError):
    """A record the caller named does not exist."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"no {kind} {key!r}")
        self.kind = kind
        self.key = key


class DuplicateLogin(HandoffError):
    """An agent with this login exists already."""

    def __init__(self, login: str) -> None:
        super().__init__(f"an agent with login {login!r} exists already")
        self.login = login


class StoreUnavailable(Exception):
    """The database could not be reached, failed, or could not be migrated: retry later.

    Not a :class:`HandoffError` (see the module's docstring): an outage is no refusal.
    """


def cause_of(exc: BaseException) -> str:
    """What failed, for a log line or an operator's message: the driver error's type,
    never its message (the database's own text can carry values)."""
    return type(exc.__cause__).__name__ if exc.__cause__ is not None else "unknown"


class AgentUnavailable(HandoffError):
    """A conversation was sent to an agent who cannot take it (deactivated, or unknown)."""

    def __init__(self, agent_id: int, why: str) -> None:
        super().__init__(f"agent {agent_id} cannot take the conversation: {why}")
        self.agent_id = agent_id
        self.why = why


class AttachmentRefused(HandoffError):
    """A file was refused: not an image or PDF by its content, or too large.

    Attributes:
        reason: ``type`` (not a kind of file we keep) or ``size`` (over the limit).
        limit: the size limit in bytes, for ``size``.
    """

    def __init__(self, reason: str, *, limit: int | None = None) -> None:
        super().__init__(f"attachment refused: {reason}")
        self.reason = reason
        self.limit = limit


class DuplicateShortcut(HandoffError):
    """A saved reply with this shortcut exists already for the same team or agent."""

    def __init__(self, shortcut: str) -> None:
        super().__init__(f"the shortcut /{shortcut} is taken")
        self.shortcut = shortcut
