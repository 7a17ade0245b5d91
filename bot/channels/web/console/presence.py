"""The agent's presence: online, away or offline, chosen in the console's header.

Coming online may hand the agent waiting customers at once; the page they return to then
says how many. The router's dependencies check the login and the CSRF token.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response

from bot.channels.web.console.session import Console
from handoff.model import Agent, Presence


def build_router(console: Console) -> APIRouter:
    """The presence form, ``POST /console/presence``."""
    router = console.router()
    store = console.service.store
    runtime = console.service.runtime
    CurrentAgent = Annotated[Agent, Depends(console.current_agent)]  # noqa: N806 (a type alias)

    @router.post("/presence")
    async def set_presence(
        agent: CurrentAgent,
        presence: Annotated[str, Form(max_length=16)] = "",
        back: Annotated[str, Form(max_length=200)] = "/console",
    ) -> Response:
        try:
            chosen = Presence(presence)
        except ValueError:
            return Response("unknown presence", status_code=422)
        before = {c.id for c in await store.agent_conversations(agent.id)}
        await runtime.set_presence(agent.id, chosen)
        # Only back to a console page: never an open redirect.
        target = back if back.startswith("/console") and "//" not in back else "/console"
        if chosen is Presence.ONLINE:
            # Coming online may hand the agent waiting customers: show them what they got.
            now = await store.agent_conversations(agent.id)
            given = sum(1 for c in now if c.id not in before)
            if given:
                target = f"/console?filter=mine&assigned={given}"
        return RedirectResponse(target, status_code=303)

    return router
