"""What the console's pages know of the desk: activity, queue filters, the handoff card,
team names and who may read a conversation. No routes: the routers use these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from fastapi import HTTPException

from handoff.card import HandoffCard, build_card, what_the_bot_did
from handoff.errors import IllegalTransition, NotFound, NotOwner, Refusal, refusal_of
from handoff.model import (
    Agent,
    Conversation,
    Customer,
    Handoff,
    Message,
    QueueEntry,
)
from handoff.reading import may_read
from handoff.reasons import describe_reason

if TYPE_CHECKING:
    from bot.service.composition import Service

#: Console activity is written at most this often per agent (every request would be a write).
SEEN_EVERY = timedelta(seconds=60)
#: The queue filter values besides a team id.
MY_TEAMS, ALL_TEAMS = "mine", "all"
#: What an agent is told who acts on a conversation another agent has claimed.
NOT_YOURS = "This conversation is not yours (any more): claim it first."
#: ... on a conversation waiting in the queue (nobody has it).
IN_THE_QUEUE = "This conversation is waiting in the queue: claim it first."
#: ... on a conversation the bot has (handed back; nobody has it).
WITH_THE_BOT = "This conversation is with the bot now: no agent has it."
#: ... on a conversation that is closed (resolved, or closed by the customer or an admin).
CLOSED = "This conversation is closed already: the customer's next message starts a new one."
_REFUSALS = {
    Refusal.NOT_YOURS: NOT_YOURS,
    Refusal.IN_THE_QUEUE: IN_THE_QUEUE,
    Refusal.WITH_THE_BOT: WITH_THE_BOT,
    Refusal.CLOSED: CLOSED,
}


def refusal(exc: NotOwner | IllegalTransition) -> str:
    """What an agent is told when the desk refused their move on a conversation, by what
    happened to it (:func:`handoff.errors.refusal_of`)."""
    return _REFUSALS[refusal_of(exc)]


def counts_as_activity(method: str, path: str) -> bool:
    """Tell whether a console request shows the agent is at the desk.

    The live page polls the JSON API by itself every few seconds; only what a person does
    (opening a page, pressing a button, typing) counts, or an open tab would stay online.
    """
    polling = method == "GET" and path.startswith("/console/api/")
    return not polling


async def note_activity(service: Service, agent: Agent, *, now: datetime) -> None:
    """Record the agent's console activity, at most every :data:`SEEN_EVERY`."""
    if agent.last_seen_at is None or now - agent.last_seen_at >= SEEN_EVERY:
        await service.store.agent_seen(agent.id)


def filter_queue(entries: Sequence[QueueEntry], agent: Agent, team_filter: str) -> list[QueueEntry]:
    """The queue as the agent chose to see it: their teams (and team-less), all, or one team.

    An agent without teams sees everything under "my teams": they are a generalist.
    """
    if team_filter == ALL_TEAMS or (team_filter == MY_TEAMS and not agent.teams):
        return list(entries)
    wanted = set(agent.teams) if team_filter == MY_TEAMS else {team_filter}
    return [e for e in entries if e.conversation.team is None or e.conversation.team in wanted]


async def desk_context(
    service: Service,
    *,
    agent: Agent,
    conversation: Conversation,
    customer: Customer,
    transcript: Sequence[Message],
) -> dict[str, Any]:
    """What the conversation page needs for the card and the transfer form."""
    store = service.store
    handoffs: list[Handoff] = await store.handoffs(conversation.id)
    card: HandoffCard | None = None
    if handoffs:
        card = build_card(
            conversation=conversation,
            customer=customer,
            handoff=handoffs[-1],
            transcript=transcript,
            feedback=await store.feedback(conversation.id),
            now=datetime.now(UTC),
        )
    colleagues = [a for a in await store.list_agents() if a.active and a.id != agent.id]
    return {
        "card": card,
        "why": describe_reason(card.reason, card.reason_detail) if card and card.reason else None,
        "waited": minutes(card.waited_s if card else None),
        "promised": card.promise.words() if card and card.promise else "-",
        "questions": [
            {
                "text": q.text,
                "did": what_the_bot_did(q),
                "led": q.message_id == card.handoff_question,
            }
            for q in card.questions
        ]
        if card
        else [],
        "colleagues": colleagues,
        "teams": [(team.id, team.name) for team in service.settings.teams],
    }


def minutes(seconds: int | None) -> str:
    """A duration for the card: "12 min", "under a minute" or "-"."""
    if seconds is None:
        return "-"
    return "under a minute" if seconds < 60 else f"{seconds // 60} min"


def team_name(service: Service, team: str | None) -> str:
    """A team as the console names it."""
    return service.settings.team_name(team) or team or "No team"


async def readable(service: Service, agent: Agent, conversation_id: UUID) -> Conversation:
    """The conversation, if the agent may read it.

    Raises:
        HTTPException: 404 if there is no such conversation or the agent may not read it
            (as if it did not exist: an agent learns nothing of another team's
            conversations).
    """
    try:
        conversation = await service.store.get_conversation(conversation_id)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail="no such conversation") from exc
    if not may_read(agent, conversation, all_teams=service.settings.console_read_all_teams):
        raise HTTPException(status_code=404, detail="no such conversation")
    return conversation
