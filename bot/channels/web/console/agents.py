"""The console's agents page: list, add, change and deactivate agents. Admins only.

Sessions, CSRF tokens and the logged-in agent come from
:mod:`~bot.channels.web.console.session`, as for the notices page; passwords are hashed
with :mod:`handoff.passwords`, exactly as ``helpline agents add`` does. Every change is in
the audit log.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions defined inside build_router, which must resolve in that local scope.
import asyncio
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from bot.channels.web.console.session import Console
from handoff.avatars import MAX_AVATAR_BYTES, NewAvatar, avatar_path, initials
from handoff.display_names import DisplayNameRefused, check_display_name
from handoff.errors import AttachmentRefused, DuplicateLogin, NotFound
from handoff.model import Agent
from handoff.passwords import hash_password

if TYPE_CHECKING:
    pass

AGENTS_PATH = "/console/admin/agents"
MAX_CAPACITY = 50

ShortField = Annotated[str, Form(max_length=200)]
PasswordField = Annotated[str, Form(max_length=1000)]


class AgentFormError(ValueError):
    """A field of an agent form is not acceptable; the message says which and why."""


def split_list(text: str) -> tuple[str, ...]:
    """Comma- or space-separated words as typed in a form, without blanks and duplicates."""
    words = text.replace(",", " ").split()
    return tuple(dict.fromkeys(word.strip().lower() for word in words))


def parse_capacity(text: str) -> int:
    """A capacity as typed: a whole number from 1 to :data:`MAX_CAPACITY`."""
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_CAPACITY:
        raise AgentFormError(f"Capacity must be a whole number from 1 to {MAX_CAPACITY}.")
    return int(text)


def parse_telegram_user(text: str) -> int | None:
    """A Telegram user id as typed; empty removes it."""
    if not text.strip():
        return None
    if not text.strip().isdigit() or int(text) < 1:
        raise AgentFormError("A Telegram user id is a number, e.g. 123456789.")
    return int(text)


def build_router(console: Console) -> APIRouter:
    """The agents page under ``/console/admin/agents``.

    Args:
        console: the console's service, templates and session checks.

    Returns:
        A router whose pages answer 403 to agents who are not admins.
    """
    router = console.router(AGENTS_PATH)
    service = console.service
    store = service.store
    settings = service.settings
    Admin = Annotated[Agent, Depends(console.admin("manage agents"))]  # noqa: N806 (a type alias)

    def teams_of(text: str) -> tuple[str, ...]:
        teams = split_list(text)
        known = {team.id for team in settings.teams}
        unknown = [team for team in teams if known and team not in known]
        if unknown:
            raise AgentFormError(f"Unknown team: {', '.join(unknown)}.")
        return teams

    async def agents_page(
        request: Request,
        agent: Agent,
        *,
        error: str | None = None,
        form: dict[str, str] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        telegram = await store.telegram_user_ids()
        context: dict[str, Any] = {
            "agent": agent,
            "error": error,
            "agents": await store.list_agents(),
            "pictures": {
                agent_id: avatar_path(agent_id, version)
                for agent_id, version in (await store.avatar_versions()).items()
            },
            "initials": initials,
            "telegram": telegram,
            "teams": settings.teams,
            "form": form or {"capacity": "3", "languages": "en"},
        }
        return console.render(request, "console_agents.html", context, status=status)

    @router.get("", response_class=HTMLResponse)
    async def agents(request: Request, agent: Admin) -> HTMLResponse:
        return await agents_page(request, agent)

    @router.post("", response_class=HTMLResponse)
    async def add_agent(
        request: Request,
        agent: Admin,
        login: ShortField = "",
        name: ShortField = "",
        password: PasswordField = "",
        teams: ShortField = "",
        languages: ShortField = "en",
        capacity: ShortField = "3",
        is_admin: ShortField = "",
    ) -> Response:
        form = {"login": login, "name": name, "teams": teams, "languages": languages}
        form |= {"capacity": capacity}
        try:
            if not login.strip() or not name.strip():
                raise AgentFormError("A new agent needs a login and a name.")
            shown = check_display_name(name, login=login.strip())
            if not password:
                raise AgentFormError("A new agent needs a password.")
            # Argon2 is slow on purpose: keep it off the event loop.
            password_hash = await asyncio.to_thread(
                hash_password, password, settings.password_hashing
            )
            added = await store.add_agent(
                login=login.strip(),
                name=shown,
                password_hash=password_hash,
                teams=teams_of(teams),
                languages=split_list(languages) or ("en",),
                capacity=parse_capacity(capacity),
                is_admin=bool(is_admin),
            )
        except (AgentFormError, DisplayNameRefused) as exc:
            return await agents_page(request, agent, error=str(exc), form=form, status=422)
        except DuplicateLogin:
            error = "An agent with this login exists already."
            return await agents_page(request, agent, error=error, form=form, status=409)
        await store.audit(
            actor=f"agent:{agent.login}", action="agent_added", target=f"agent:{added.id}"
        )
        return RedirectResponse(AGENTS_PATH, status_code=303)

    @router.post("/{agent_id}", response_class=HTMLResponse)
    async def change_agent(
        request: Request,
        agent_id: int,
        agent: Admin,
        name: ShortField = "",
        teams: ShortField = "",
        languages: ShortField = "",
        capacity: ShortField = "",
        is_admin: ShortField = "",
        telegram_user: ShortField = "",
    ) -> Response:
        try:
            changed = await store.get_agent(agent_id)
            # Empty keeps the name (a form without the field, e.g. an older page).
            shown = check_display_name(name, login=changed.login) if name.strip() else None
            if agent_id == agent.id and not is_admin:
                raise AgentFormError("You cannot take away your own admin rights.")
            telegram_id = parse_telegram_user(telegram_user)
            taken = {user: owner for owner, user in (await store.telegram_user_ids()).items()}
            if telegram_id is not None and taken.get(telegram_id, agent_id) != agent_id:
                raise AgentFormError("That Telegram user belongs to another agent.")
            await store.update_agent(
                agent_id,
                name=shown,
                teams=teams_of(teams),
                languages=split_list(languages) or None,
                capacity=parse_capacity(capacity),
                is_admin=bool(is_admin),
            )
            await store.set_agent_telegram_user(agent_id, telegram_id)
        except (AgentFormError, DisplayNameRefused) as exc:
            return await agents_page(request, agent, error=str(exc), status=422)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such agent") from exc
        await store.audit(
            actor=f"agent:{agent.login}", action="agent_changed", target=f"agent:{agent_id}"
        )
        return RedirectResponse(AGENTS_PATH, status_code=303)

    @router.post("/{agent_id}/active", response_class=HTMLResponse)
    async def set_active(
        request: Request,
        agent_id: int,
        agent: Admin,
        active: ShortField = "",
    ) -> Response:
        if agent_id == agent.id:
            error = "You cannot deactivate yourself."
            return await agents_page(request, agent, error=error, status=422)
        try:
            await store.update_agent(agent_id, active=active == "yes")
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such agent") from exc
        action = "agent_activated" if active == "yes" else "agent_deactivated"
        await store.audit(actor=f"agent:{agent.login}", action=action, target=f"agent:{agent_id}")
        return RedirectResponse(AGENTS_PATH, status_code=303)

    @router.post("/{agent_id}/avatar", response_class=HTMLResponse)
    async def set_picture(
        request: Request,
        agent_id: int,
        agent: Admin,
        picture: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        # One byte over the limit is enough to know it is too large.
        data = await picture.read(MAX_AVATAR_BYTES + 1) if picture is not None else b""
        if not data:
            return await agents_page(request, agent, error="Choose a picture first.", status=422)
        try:
            checked = NewAvatar.check(data)
        except AttachmentRefused as exc:
            if exc.reason == "size":
                limit_kb = MAX_AVATAR_BYTES // 1024
                error = f"That picture is too large: pictures can be up to {limit_kb} KB."
                return await agents_page(request, agent, error=error, status=413)
            error = "Only pictures (PNG, JPEG, GIF, WebP) can be an agent's picture."
            return await agents_page(request, agent, error=error, status=415)
        try:
            await store.set_agent_avatar(agent_id, checked)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such agent") from exc
        await store.audit(
            actor=f"agent:{agent.login}", action="agent_picture_set", target=f"agent:{agent_id}"
        )
        return RedirectResponse(AGENTS_PATH, status_code=303)

    @router.post("/{agent_id}/avatar/remove")
    async def remove_picture(agent_id: int, agent: Admin) -> Response:
        try:
            await store.set_agent_avatar(agent_id, None)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such agent") from exc
        await store.audit(
            actor=f"agent:{agent.login}",
            action="agent_picture_removed",
            target=f"agent:{agent_id}",
        )
        return RedirectResponse(AGENTS_PATH, status_code=303)

    return router
