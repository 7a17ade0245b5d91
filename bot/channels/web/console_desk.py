"""The console's desk features: presence, the handoff card, transfers, notes, queue filter.

:func:`add_desk_routes` adds the forms' routes to the console router; the console passes in
its own login, CSRF and page helpers, so sessions work exactly as for the other forms.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from handoff.card import HandoffCard, build_card, what_the_bot_did
from handoff.errors import AgentUnavailable, HandoffError, NotFound
from handoff.model import Agent, Conversation, Customer, Handoff, Message, Presence, QueueEntry
from handoff.reading import may_read
from handoff.reasons import describe_reason

if TYPE_CHECKING:
    from bot.service.composition import Service

#: Console activity is written at most this often per agent (every request would be a write).
SEEN_EVERY = timedelta(seconds=60)
#: The queue filter values besides a team id.
MY_TEAMS, ALL_TEAMS = "mine", "all"
#: What an agent is told who acts on a conversation someone else has (or nobody has) claimed.
NOT_YOURS = "This conversation is not yours (any more): claim it first."


def counts_as_activity(method: str, path: str) -> bool:
    """Tell whether a console request shows the agent is at the desk.

    The live page polls the JSON API by itself every few seconds; only what a person does
    (opening a page, pressing a button, typing) counts, or an open tab would stay online.
    """
    polling = method == "GET" and path.startswith("/console/api/")
    return not polling


async def note_activity(service: "Service", agent: Agent, *, now: datetime) -> None:
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


def queue_filters(service: "Service") -> list[tuple[str, str]]:
    """The choices of the queue's team filter: value and label."""
    teams = [(team.id, team.name) for team in service.settings.teams]
    return [(MY_TEAMS, "My teams"), (ALL_TEAMS, "All teams"), *teams]


async def desk_context(
    service: "Service",
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


def add_desk_routes(
    router: APIRouter,
    service: "Service",
    *,
    current_agent: Callable[[Request], Awaitable[Agent]],
    check_csrf: Callable[[Request, str], None],
    back_to: Callable[[UUID], RedirectResponse],
    fail: Callable[[Request, Agent, UUID, str], Awaitable[HTMLResponse]],
) -> None:
    """Add presence, transfer and internal note forms to the console router.

    Args:
        router: the console router (prefix ``/console``).
        service: the running service.
        current_agent: the console's login dependency.
        check_csrf: the console's CSRF check.
        back_to: redirect to a conversation page.
        fail: render a conversation page with an error (status 409).
    """
    runtime = service.runtime
    CurrentAgent = Annotated[Agent, Depends(current_agent)]  # noqa: N806 (a type alias)
    CsrfField = Annotated[str, Form()]  # noqa: N806 (a type alias)

    @router.post("/presence")
    async def set_presence(
        request: Request,
        agent: CurrentAgent,
        csrf: CsrfField = "",
        presence: Annotated[str, Form(max_length=16)] = "",
        back: Annotated[str, Form(max_length=200)] = "/console",
    ) -> Response:
        check_csrf(request, csrf)
        try:
            chosen = Presence(presence)
        except ValueError:
            return Response("unknown presence", status_code=422)
        before = {c.id for c in await service.store.agent_conversations(agent.id)}
        await runtime.set_presence(agent.id, chosen)
        # Only back to a console page: never an open redirect.
        target = back if back.startswith("/console") and "//" not in back else "/console"
        if chosen is Presence.ONLINE:
            # Coming online may hand the agent waiting customers: show them what they got.
            now = await service.store.agent_conversations(agent.id)
            given = sum(1 for c in now if c.id not in before)
            if given:
                target = f"/console?filter=mine&assigned={given}"
        return RedirectResponse(target, status_code=303)

    @router.post("/conversations/{conversation_id}/transfer", response_class=HTMLResponse)
    async def transfer(
        request: Request,
        conversation_id: UUID,
        agent: CurrentAgent,
        csrf: CsrfField = "",
        to: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        check_csrf(request, csrf)
        kind, _, target = to.partition(":")
        teams = {team.id for team in service.settings.teams}
        try:
            if kind == "agent" and target.isdigit():
                await runtime.transfer_to_agent(conversation_id, agent.id, int(target))
            elif kind == "team" and target in teams:
                await runtime.transfer_to_team(conversation_id, agent.id, target)
            else:
                return await fail(request, agent, conversation_id, "Choose whom to transfer to.")
        except (AgentUnavailable, NotFound):
            return await fail(request, agent, conversation_id, "That colleague cannot take it.")
        except HandoffError:
            return await fail(request, agent, conversation_id, NOT_YOURS)
        return back_to(conversation_id)

    @router.post("/conversations/{conversation_id}/note", response_class=HTMLResponse)
    async def add_note(
        request: Request,
        conversation_id: UUID,
        agent: CurrentAgent,
        csrf: CsrfField = "",
        text: Annotated[str, Form(max_length=4000)] = "",
    ) -> Response:
        check_csrf(request, csrf)
        if not text.strip():
            return await fail(request, agent, conversation_id, "Write a note first.")
        try:
            # Any agent who may read the conversation may leave a note (also on a queued
            # one): it is for colleagues.
            conversation = await service.store.get_conversation(conversation_id)
            if not may_read(agent, conversation, all_teams=service.settings.console_read_all_teams):
                raise NotFound("conversation", conversation_id)
            await runtime.add_note(conversation_id, agent.id, text.strip())
        except NotFound:
            return Response("no such conversation", status_code=404)
        return back_to(conversation_id)
