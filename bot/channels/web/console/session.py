"""Who is asking: the logged-in agent, admins, and the CSRF token of every form.

Sessions are Starlette's signed cookie (HttpOnly, SameSite=Lax, path ``/console``) holding
the agent's id, their session epoch and a CSRF token. Every console router is made by
:meth:`Console.router` (or, for the login form, with :func:`require_csrf` alone), so a
state-changing route cannot be added without the CSRF check: the check is the router's,
not each handler's.
"""

# No ``from __future__ import annotations``: FastAPI reads the annotations of the
# dependencies below.
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.channels.web.console.desk import counts_as_activity, note_activity
from bot.errors import BotError
from handoff.errors import NotFound
from handoff.model import Agent

if TYPE_CHECKING:
    from bot.service.composition import Service

LOGIN_PATH = "/console/login"
#: The methods that change nothing, and so need no CSRF token.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Where a form carries the token, and where the page's script sends it.
CSRF_FIELD, CSRF_HEADER = "csrf", "X-CSRF-Token"


class LoginRequired(BotError):
    """The request needs a logged-in agent and has none."""


async def redirect_to_login(request: Request, exc: Exception) -> Response:
    """Answer :class:`LoginRequired`: 401 for the JSON API, a redirect for pages."""
    if request.url.path.startswith("/console/api/"):
        return JSONResponse({"detail": "login required"}, status_code=401)
    return RedirectResponse(LOGIN_PATH, status_code=303)


def csrf_token(request: Request) -> str:
    """The session's CSRF token for forms (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def require_csrf(request: Request) -> None:
    """Refuse a state-changing request whose CSRF token is not the session's (403).

    The token comes in the ``X-CSRF-Token`` header (the page's script) or the form's
    ``csrf`` field. Starlette keeps the parsed form on the request, so the route reads the
    same form again at no cost.

    Raises:
        HTTPException: 403, the token is missing or wrong.
    """
    if request.method in SAFE_METHODS:
        return
    submitted: object = request.headers.get(CSRF_HEADER)
    if submitted is None:
        submitted = (await request.form()).get(CSRF_FIELD)
    expected = request.session.get("csrf")
    if (
        not isinstance(expected, str)
        or not isinstance(submitted, str)
        or not secrets.compare_digest(expected.encode(), submitted.encode())
    ):
        raise HTTPException(status_code=403, detail="missing or wrong CSRF token")


def agent_dependency(service: "Service") -> Callable[[Request], Awaitable[Agent]]:
    """The FastAPI dependency giving the logged-in, active agent (LoginRequired if none)."""

    async def current_agent(request: Request) -> Agent:
        agent_id = request.session.get("agent_id")
        if not isinstance(agent_id, int):
            raise LoginRequired
        try:
            agent = await service.store.get_agent(agent_id)
        except NotFound:
            agent = None
        # The epoch ends a session server-side (logout, new password, deactivation): a
        # copied cookie stops working everywhere, not only in the browser that logged out.
        if agent is None or not agent.active or request.session.get("epoch") != agent.session_epoch:
            request.session.clear()
            raise LoginRequired
        if counts_as_activity(request.method, request.url.path):
            await note_activity(service, agent, now=datetime.now(UTC))
        return agent

    return current_agent


@dataclass(frozen=True, slots=True)
class Console:
    """What every console router shares: the service, the templates and the session checks."""

    service: "Service"
    templates: Jinja2Templates
    current_agent: Callable[[Request], Awaitable[Agent]]

    @classmethod
    def of(cls, service: "Service", templates: Jinja2Templates) -> "Console":
        """The console of a service."""
        return cls(service, templates, agent_dependency(service))

    def router(self, prefix: str = "/console") -> APIRouter:
        """A router whose every route needs a logged-in agent, then (to change) CSRF.

        The login comes first: a stranger is sent to the login page, not refused.
        """
        return APIRouter(
            prefix=prefix,
            include_in_schema=False,
            dependencies=[Depends(self.current_agent), Depends(require_csrf)],
        )

    def admin(self, what: str) -> Callable[..., Awaitable[Agent]]:
        """A dependency giving the logged-in agent if an admin; 403 naming ``what`` if not."""
        current_agent = self.current_agent

        async def admin(agent: Annotated[Agent, Depends(current_agent)]) -> Agent:
            if not agent.is_admin:
                raise HTTPException(status_code=403, detail=f"only admins {what}")
            return agent

        return admin

    def render(
        self, request: Request, name: str, context: dict[str, Any], *, status: int = 200
    ) -> HTMLResponse:
        """A console page, with the session's CSRF token for its forms."""
        context = {"csrf": csrf_token(request), "agent": None, "error": None, **context}
        return self.templates.TemplateResponse(request, name, context, status_code=status)
