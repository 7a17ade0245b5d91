"""Internal notes: what agents write on a conversation for colleagues, never for the customer.

A note written here also reaches the conversation's Telegram staff topic (the runtime sends
it there); one written in the topic with ``/note`` joins the transcript the same way.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response

from bot.channels.web.console.conversation import ConversationPage, back_to
from bot.channels.web.console.session import Console
from handoff.errors import NotFound
from handoff.model import Agent
from handoff.reading import may_read

#: The longest note.
MAX_NOTE_CHARS = 4000


def build_router(console: Console, pages: ConversationPage) -> APIRouter:
    """The note form under ``/console/conversations/{id}/note``."""
    router = console.router()
    service = console.service
    CurrentAgent = Annotated[Agent, Depends(console.current_agent)]  # noqa: N806 (a type alias)

    @router.post("/conversations/{conversation_id}/note", response_class=HTMLResponse)
    async def add_note(
        request: Request,
        conversation_id: UUID,
        agent: CurrentAgent,
        text: Annotated[str, Form(max_length=MAX_NOTE_CHARS)] = "",
    ) -> Response:
        if not text.strip():
            return await pages.refused(request, agent, conversation_id, "Write a note first.")
        try:
            # Any agent who may read the conversation may leave a note (also on a queued
            # one): it is for colleagues.
            conversation = await service.store.get_conversation(conversation_id)
            if not may_read(agent, conversation, all_teams=service.settings.console_read_all_teams):
                raise NotFound("conversation", conversation_id)
            await service.runtime.add_note(conversation_id, agent.id, text.strip())
        except NotFound:
            return Response("no such conversation", status_code=404)
        return back_to(conversation_id)

    return router
