"""The agent's "… is typing": the console pings while the agent writes a reply, and the
customer's chat shows it until the pings stop (or the reply arrives).

The router's dependencies check the login and the CSRF token.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import Response

from bot.channels.web.console.session import Console
from bot.channels.web.typing_indicator import TypingRegistry
from handoff.errors import NotFound
from handoff.model import Agent, ConversationState


def build_router(console: Console, *, typing: TypingRegistry) -> APIRouter:
    """The typing ping, ``POST /console/api/conversations/{id}/typing``.

    Args:
        console: the console's service, templates and session checks.
        typing: who is typing to which customer (shared with the web chat).
    """
    router = console.router()
    service = console.service
    store = service.store
    CurrentAgent = Annotated[Agent, Depends(console.current_agent)]  # noqa: N806 (a type alias)

    @router.post("/api/conversations/{conversation_id}/typing", status_code=204)
    async def api_typing(conversation_id: UUID, agent: CurrentAgent) -> Response:
        try:
            conversation = await store.get_conversation(conversation_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such conversation") from exc
        if (
            conversation.state is not ConversationState.AGENT
            or conversation.owner_agent_id != agent.id
        ):
            raise HTTPException(status_code=409, detail="this conversation is not yours")
        typing.ping(conversation.customer_id, agent.name)
        service.feed.publish(conversation.customer_id)  # wakes the customer's event stream
        return Response(status_code=204)

    return router
