"""The inbox and conversation pages, and what they read as JSON: the queue, new messages,
a message's files.

:class:`ConversationPage` renders a conversation page; the action routers use it to show
the page again with what went wrong.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
import secrets
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from bot.channels.web.console import desk, live
from bot.channels.web.console.session import Console
from bot.channels.web.files import file_response
from handoff.card import customer_label
from handoff.errors import NotFound
from handoff.model import Agent
from handoff.reading import may_read
from handoff.reasons import reason_sentence
from handoff.saved_replies import fill


class QueueItemOut(BaseModel):
    """A waiting conversation in the live queue."""

    conversation_id: UUID
    position: int
    team: str
    customer: str
    waiting_since: datetime
    last_customer_text: str | None


class MineItemOut(BaseModel):
    """A conversation the agent owns."""

    conversation_id: UUID
    team: str
    customer: str
    updated_at: datetime


class QueueOut(BaseModel):
    """The queue and the agent's own conversations."""

    queue: list[QueueItemOut]
    mine: list[MineItemOut]


def back_to(conversation_id: UUID) -> RedirectResponse:
    """After a form: back to the conversation's page."""
    return RedirectResponse(f"/console/conversations/{conversation_id}", status_code=303)


class ConversationPage:
    """Renders a conversation page (transcript, card, reply box, side panel)."""

    def __init__(self, console: Console) -> None:
        self._console = console

    async def render(
        self,
        request: Request,
        agent: Agent,
        conversation_id: UUID,
        *,
        error: str | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        """The page of a conversation the agent may read, with an error if one is given.

        Raises:
            HTTPException: 404, no such conversation or not the agent's to read.
        """
        service = self._console.service
        store = service.store
        conversation = await desk.readable(service, agent, conversation_id)
        if conversation.owner_agent_id == agent.id:
            # Assigned while the agent was elsewhere: they look now, so now they have joined.
            await service.runtime.join(conversation_id, agent.id)
        customer = await store.get_customer(conversation.customer_id)
        owner = (
            None
            if conversation.owner_agent_id is None
            else await store.get_agent(conversation.owner_agent_id)
        )
        transcript = await store.transcript(conversation_id)
        handoff = await store.current_handoff(conversation_id)
        earlier = [
            c for c in await store.customer_conversations(customer.id) if c.id != conversation_id
        ]
        chosen = request.query_params.get("filter", live.TEAMS)
        context = {
            "inbox": await live.read_inbox(service, agent, chosen, ""),
            "inbox_filters": live.FILTERS,
            "search": "",
            "customer_facts": customer,
            "reply_mail": await store.reply_mail_state(customer.id),
            "saved_replies": [
                (
                    r.shortcut,
                    fill(r.text, customer_name=customer_label(customer), agent_name=agent.name),
                )
                for r in await store.saved_replies(agent_id=agent.id, teams=agent.teams)
            ],
            "earlier": earlier,
            "agent": agent,
            "conversation": conversation,
            "customer": customer_label(customer),
            "unreachable_at": customer.unreachable_at,
            "team": desk.team_name(service, conversation.team),
            "owner": owner,
            "mine": owner is not None and owner.id == agent.id,
            "handoff": handoff,
            "reason": reason_sentence(handoff.reason) if handoff else None,
            "transcript": transcript,
            "last_seq": transcript[-1].seq if transcript else 0,
            "reply_id": secrets.token_hex(16),
            "error": error,
            **await desk.desk_context(
                service,
                agent=agent,
                conversation=conversation,
                customer=customer,
                transcript=transcript,
            ),
        }
        return self._console.render(request, "console_conversation.html", context, status=status)

    async def refused(
        self, request: Request, agent: Agent, conversation_id: UUID, error: str
    ) -> HTMLResponse:
        """The page again, saying why an action was refused (409)."""
        return await self.render(request, agent, conversation_id, error=error, status=409)


def build_router(console: Console, pages: ConversationPage) -> APIRouter:
    """The inbox page, the conversation page, the queue and transcript JSON, and files."""
    router = console.router()
    service = console.service
    store = service.store
    read_all_teams = service.settings.console_read_all_teams
    CurrentAgent = Annotated[Agent, Depends(console.current_agent)]  # noqa: N806 (a type alias)
    TeamFilter = Annotated[str, Query(max_length=64)]  # noqa: N806 (a type alias)

    @router.get("", response_class=HTMLResponse)
    async def queue_page(
        request: Request,
        agent: CurrentAgent,
        filter: Annotated[str, Query(max_length=16)] = live.TEAMS,
        q: Annotated[str, Query(max_length=200)] = "",
        assigned: Annotated[int, Query(ge=0, le=1000)] = 0,
    ) -> HTMLResponse:
        # A broken knowledge edit keeps the old articles serving; staff must still hear of it.
        knowledge = service.knowledge_status
        inbox = await live.read_inbox(service, agent, filter, q)
        context = {"agent": agent, "knowledge": knowledge, "inbox": inbox, "search": q}
        context |= {"assigned": assigned}
        context |= {"inbox_filters": live.FILTERS}
        return console.render(request, "console_queue.html", context)

    @router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
    async def conversation(
        request: Request, conversation_id: UUID, agent: CurrentAgent
    ) -> HTMLResponse:
        return await pages.render(request, agent, conversation_id)

    @router.get("/api/queue")
    async def api_queue(agent: CurrentAgent, team: TeamFilter = desk.MY_TEAMS) -> QueueOut:
        queue = [
            QueueItemOut(
                conversation_id=entry.conversation.id,
                position=entry.position,
                team=desk.team_name(service, entry.handoff.team or entry.conversation.team),
                customer=customer_label(entry.customer),
                waiting_since=entry.handoff.requested_at,
                last_customer_text=entry.last_customer_text,
            )
            for entry in desk.filter_queue(await store.queue(), agent, team)
            if may_read(agent, entry.conversation, all_teams=read_all_teams)
        ]
        mine = []
        for owned in await store.agent_conversations(agent.id):
            customer = await store.get_customer(owned.customer_id)
            mine.append(
                MineItemOut(
                    conversation_id=owned.id,
                    team=desk.team_name(service, owned.team),
                    customer=customer_label(customer),
                    updated_at=owned.updated_at,
                )
            )
        return QueueOut(queue=queue, mine=mine)

    @router.get("/api/conversations/{conversation_id}/messages")
    async def api_messages(
        conversation_id: UUID,
        agent: CurrentAgent,
        # Message ids are 64-bit: a larger value would overflow the database driver (a 500).
        after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    ) -> live.ConversationOut:
        await desk.readable(service, agent, conversation_id)
        return await live.conversation_since(store, conversation_id, after)

    @router.get("/attachments/{attachment_id}")
    async def attachment(
        attachment_id: Annotated[str, Path(max_length=48)], agent: CurrentAgent
    ) -> Response:
        try:
            stored = await store.get_attachment(attachment_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such file") from exc
        # A file is read with its conversation: only by agents who may read that.
        if stored.conversation_id is None:
            raise HTTPException(status_code=404, detail="no such file")
        await desk.readable(service, agent, stored.conversation_id)
        return file_response(stored)

    return router
