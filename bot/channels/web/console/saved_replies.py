"""The console's saved replies: an agent's own, and their teams' (which admins manage).

In the reply box, ``/shortcut`` offers the matching saved replies (``console.js``); the
conversation page carries them with ``{customer_name}`` and ``{agent_name}`` filled in.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.channels.web.console.session import Console
from handoff.errors import DuplicateShortcut, NotFound
from handoff.model import Agent, SavedReply
from handoff.saved_replies import PLACEHOLDERS, valid_shortcut

if TYPE_CHECKING:
    from bot.service.composition import Service

PAGE = "/console/saved-replies"
MINE = "mine"


async def replies_for(service: "Service", agent: Agent) -> list[SavedReply]:
    """The saved replies an agent may insert: their own and their teams'."""
    return await service.store.saved_replies(agent_id=agent.id, teams=agent.teams)


def build_router(console: Console) -> APIRouter:
    """The saved reply page and its forms under ``/console/saved-replies``."""
    router = console.router(PAGE)
    service = console.service
    store = service.store
    CurrentAgent = Annotated[Agent, Depends(console.current_agent)]  # noqa: N806 (a type alias)
    teams = {team.id: team.name for team in service.settings.teams}

    async def page(
        request: Request, agent: Agent, *, error: str | None = None, status: int = 200
    ) -> HTMLResponse:
        listed = await (store.saved_replies() if agent.is_admin else replies_for(service, agent))
        shown = [r for r in listed if r.agent_id in (None, agent.id)]
        context = {
            "agent": agent,
            "error": error,
            "replies": [(r, teams.get(r.team or "", r.team) if r.team else "Mine") for r in shown],
            "scopes": [(MINE, "Only me")]
            + ([(f"team:{i}", n) for i, n in teams.items()] if agent.is_admin else []),
            "placeholders": PLACEHOLDERS,
        }
        return console.render(request, "console_saved_replies.html", context, status=status)

    @router.get("", response_class=HTMLResponse)
    async def saved_replies_page(request: Request, agent: CurrentAgent) -> HTMLResponse:
        return await page(request, agent)

    @router.post("", response_class=HTMLResponse)
    async def add(
        request: Request,
        agent: CurrentAgent,
        shortcut: Annotated[str, Form(max_length=40)] = "",
        text: Annotated[str, Form(max_length=4000)] = "",
        scope: Annotated[str, Form(max_length=80)] = MINE,
    ) -> Response:
        shortcut = shortcut.strip().removeprefix("/").lower()
        if not valid_shortcut(shortcut) or not text.strip():
            error = "A shortcut is letters, digits, - or _ (up to 32), and the text is not empty."
            return await page(request, agent, error=error, status=422)
        team = scope.removeprefix("team:") if scope.startswith("team:") else None
        if team is not None and (not agent.is_admin or team not in teams):
            raise HTTPException(status_code=403, detail="only admins manage team replies")
        try:
            await store.add_saved_reply(
                shortcut=shortcut,
                text=text.strip(),
                team=team,
                agent_id=None if team is not None else agent.id,
                actor=f"agent:{agent.login}",
            )
        except DuplicateShortcut as exc:
            return await page(request, agent, error=f"/{exc.shortcut} is taken.", status=409)
        return RedirectResponse(PAGE, status_code=303)

    @router.post("/{reply_id}/delete")
    async def delete(request: Request, reply_id: int, agent: CurrentAgent) -> Response:
        reply = next((r for r in await store.saved_replies() if r.id == reply_id), None)
        if reply is None:
            raise HTTPException(status_code=404, detail="no such saved reply")
        # An agent deletes their own; a team's, only an admin.
        if reply.agent_id != agent.id and not (reply.team is not None and agent.is_admin):
            raise HTTPException(status_code=403, detail="not a saved reply you manage")
        try:
            await store.delete_saved_reply(reply_id, actor=f"agent:{agent.login}")
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such saved reply") from exc
        return RedirectResponse(PAGE, status_code=303)

    return router
