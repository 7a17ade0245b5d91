"""The agent console: login, the queue, one conversation and the actions on it.

Pages are rendered on the server (Jinja2, everything autoescaped); ``console.js`` polls
the small JSON API under ``/console/api`` to keep the queue and the transcript live.

Sessions are Starlette's signed cookie (HttpOnly, SameSite=Lax, path ``/console``) holding
the agent's id and a CSRF token; every POST form carries that token back.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions defined inside build_router, which must resolve in that local scope.
import asyncio
import contextlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from fastapi import (
    APIRouter,
    Depends,
    File,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Request,
    UploadFile,
)
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.templating import Jinja2Templates

from bot.channels.web import console_desk, console_live
from bot.channels.web.client_address import client_address
from bot.channels.web.files import CONSOLE_FILES, file_response
from bot.channels.web.login_throttle import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE_S,
    LoginThrottle,
    TooManyAttempts,
)
from bot.channels.web.typing_indicator import TypingRegistry
from bot.errors import BotError, MessageRejected
from handoff.attachments import NewAttachment
from handoff.errors import AlreadyClaimed, AttachmentRefused, HandoffError, NotFound, NotOwner
from handoff.model import Agent, Conversation, ConversationState, Customer
from handoff.passwords import hash_password, needs_rehash, verify_password
from handoff.printable import printable
from handoff.reading import may_read
from handoff.reasons import reason_sentence
from handoff.saved_replies import fill

if TYPE_CHECKING:
    from bot.service.composition import Service

LOGIN_PATH = "/console/login"
#: The longest login (the column's size).
MAX_LOGIN_CHARS = 64


class LoginRequired(BotError):
    """The request needs a logged-in agent and has none."""


async def redirect_to_login(request: Request, exc: Exception) -> Response:
    """Answer :class:`LoginRequired`: 401 for the JSON API, a redirect for pages."""
    if request.url.path.startswith("/console/api/"):
        return JSONResponse({"detail": "login required"}, status_code=401)
    return RedirectResponse(LOGIN_PATH, status_code=303)


#: The CSRF token every POST form carries (checked by hand, so a missing one is a 403).
CsrfField = Annotated[str, Form()]


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
    """The queue and the agent's own conversations, for the live console page."""

    queue: list[QueueItemOut]
    mine: list[MineItemOut]


FILES_PATH = CONSOLE_FILES


class TranscriptOut(BaseModel):
    """New transcript messages and the conversation's current state and owner."""

    state: str
    owner: str | None
    messages: list[console_live.ConsoleMessageOut]


def customer_label(customer: Customer) -> str:
    """How the console names a customer (their display name, or channel and number)."""
    return customer.display_name or f"{customer.channel} customer #{customer.id}"


def csrf_token(request: Request) -> str:
    """The session's CSRF token for forms (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str) -> None:
    """Refuse a form whose CSRF token is not the session's (403)."""
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, submitted):
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
        if console_desk.counts_as_activity(request.method, request.url.path):
            await console_desk.note_activity(service, agent, now=datetime.now(UTC))
        return agent

    return current_agent


def build_router(
    service: "Service",
    templates: Jinja2Templates,
    *,
    typing: TypingRegistry | None = None,
    customer_typing: TypingRegistry | None = None,
) -> APIRouter:
    """The routes of the agent console.

    Args:
        service: the running service (store, runtime, settings).
        templates: the web templates.
        typing: who is typing to which customer (shared with the web chat).
        customer_typing: which customers are typing (the web chat writes it).

    Returns:
        A router with the pages under ``/console`` and the JSON API under ``/console/api``.
    """
    router = APIRouter(prefix="/console", include_in_schema=False)
    store = service.store
    runtime = service.runtime
    typing = typing if typing is not None else TypingRegistry()
    # Per login and address, per address, and per known device: a stranger's guesses
    # cannot lock the owner out (bot/channels/web/login_throttle.py).
    logins = LoginThrottle(
        service.secret_key,
        max_failures=service.settings.login_max_failures,
        window_s=service.settings.login_lockout_s,
    )
    secure_cookies = (service.settings.public_url or "").startswith("https://")

    def team_name(team: str | None) -> str:
        return service.settings.team_name(team) or team or "No team"

    current_agent = agent_dependency(service)
    read_all_teams = service.settings.console_read_all_teams

    CurrentAgent = Annotated[Agent, Depends(current_agent)]  # noqa: N806 (a type alias)
    TeamFilter = Annotated[str, Query(max_length=64)]  # noqa: N806 (a type alias)

    def page(
        request: Request, name: str, context: dict[str, Any], *, status: int = 200
    ) -> HTMLResponse:
        context = {"csrf": csrf_token(request), "agent": None, "error": None, **context}
        return templates.TemplateResponse(request, name, context, status_code=status)

    async def conversation_page(
        request: Request,
        agent: Agent,
        conversation_id: UUID,
        *,
        error: str | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        conversation = await readable(agent, conversation_id)
        if conversation.owner_agent_id == agent.id:
            # Assigned while the agent was elsewhere: they look now, so now they have joined.
            await runtime.join(conversation_id, agent.id)
        customer = await store.get_customer(conversation.customer_id)
        owner = await owner_of(conversation)
        transcript = await store.transcript(conversation_id)
        handoff = await store.current_handoff(conversation_id)
        earlier = [
            c for c in await store.customer_conversations(customer.id) if c.id != conversation_id
        ]
        chosen = request.query_params.get("filter", console_live.TEAMS)
        context = {
            "inbox": await console_live.read_inbox(service, agent, chosen, ""),
            "inbox_filters": console_live.FILTERS,
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
            "team": team_name(conversation.team),
            "owner": owner,
            "mine": owner is not None and owner.id == agent.id,
            "handoff": handoff,
            "reason": reason_sentence(handoff.reason) if handoff else None,
            "transcript": transcript,
            "last_seq": transcript[-1].seq if transcript else 0,
            "reply_id": secrets.token_hex(16),
            "error": error,
            **await console_desk.desk_context(
                service,
                agent=agent,
                conversation=conversation,
                customer=customer,
                transcript=transcript,
            ),
        }
        return page(request, "console_conversation.html", context, status=status)

    async def readable(agent: Agent, conversation_id: UUID) -> Conversation:
        """The conversation, if the agent may read it; 404 otherwise (as if it did not
        exist: an agent learns nothing about another team's conversations)."""
        try:
            conversation = await store.get_conversation(conversation_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such conversation") from exc
        if not may_read(agent, conversation, all_teams=read_all_teams):
            raise HTTPException(status_code=404, detail="no such conversation")
        return conversation

    async def owner_of(conversation: Conversation) -> Agent | None:
        if conversation.owner_agent_id is None:
            return None
        return await store.get_agent(conversation.owner_agent_id)

    def back_to(conversation_id: UUID) -> RedirectResponse:
        return RedirectResponse(f"/console/conversations/{conversation_id}", status_code=303)

    # Login ---------------------------------------------------------------------------

    @router.get("/login", response_class=HTMLResponse)
    async def login_form(request: Request) -> Response:
        if isinstance(request.session.get("agent_id"), int):
            return RedirectResponse("/console", status_code=303)
        return page(request, "console_login.html", {"login": ""})

    @router.post("/login", response_class=HTMLResponse)
    async def login_submit(
        request: Request,
        csrf: CsrfField = "",
        login: Annotated[str, Form(max_length=200)] = "",
        password: Annotated[str, Form(max_length=1000)] = "",
    ) -> Response:
        check_csrf(request, csrf)
        # Counted before the password is checked, with no await in between: parallel
        # attempts cannot all pass the check while the slow hash runs.
        try:
            attempt = logins.attempt(
                login, client_address(request), device_cookie=request.cookies.get(DEVICE_COOKIE)
            )
        except TooManyAttempts as exc:
            return too_many_logins(request, login, exc.retry_after_s)
        # A login with a control character (NUL is refused by PostgreSQL) or longer than any
        # login is nobody's; it is not sent to the database.
        lookup = login.strip()
        plausible = lookup.isprintable() and len(lookup) <= MAX_LOGIN_CHARS
        found = await store.agent_credentials(lookup) if plausible else None
        # Argon2 is slow on purpose: keep it off the event loop, and spend the same time
        # on an unknown login so response times do not reveal which logins exist.
        if found is None:
            await asyncio.to_thread(hash_password, password)
            ok = False
        else:
            ok = await asyncio.to_thread(verify_password, found[1], password)
        if found is None or not ok or not found[0].active:
            # Escaped: the audit log is read on terminals, and PostgreSQL refuses NUL.
            actor = printable(lookup)[:128]  # the audit column's size
            await store.audit(actor=actor, action="login_failed", target="console")
            context = {"login": login, "error": "Wrong login or password."}
            return page(request, "console_login.html", context, status=401)
        logins.succeeded(attempt)
        agent, password_hash = found
        if needs_rehash(password_hash):
            rehashed = await asyncio.to_thread(hash_password, password)
            await store.set_password_hash(agent.id, rehashed, end_sessions=False)
        # A fresh session (and CSRF token) on login: nothing from before carries over.
        request.session.clear()
        request.session["agent_id"] = agent.id
        request.session["epoch"] = agent.session_epoch
        request.session["csrf"] = secrets.token_urlsafe(32)
        await store.audit(actor=agent.login, action="login", target="console")
        welcome = RedirectResponse("/console", status_code=303)
        # This browser is now a known device of the login: its next attempts have a budget
        # of their own, which strangers at the same address cannot use up.
        welcome.set_cookie(
            DEVICE_COOKIE,
            logins.device_cookie(agent.login),
            max_age=DEVICE_MAX_AGE_S,
            path=LOGIN_PATH,
            httponly=True,
            samesite="strict",
            secure=secure_cookies,
        )
        return welcome

    def too_many_logins(request: Request, login: str, wait_s: int) -> Response:
        error = f"Too many failed logins. Try again in {-(-wait_s // 60)} min."
        locked = page(request, "console_login.html", {"login": login, "error": error}, status=429)
        locked.headers["Retry-After"] = str(wait_s)
        return locked

    @router.post("/logout")
    async def logout(request: Request, csrf: CsrfField = "") -> RedirectResponse:
        check_csrf(request, csrf)
        agent_id = request.session.get("agent_id")
        if isinstance(agent_id, int):
            # Ends the session on the server too: a copy of the cookie is worthless now.
            with contextlib.suppress(NotFound):
                await store.end_sessions(agent_id)
        request.session.clear()
        return RedirectResponse(LOGIN_PATH, status_code=303)

    # Pages ---------------------------------------------------------------------------

    @router.get("", response_class=HTMLResponse)
    async def queue_page(
        request: Request,
        agent: CurrentAgent,
        filter: Annotated[str, Query(max_length=16)] = console_live.TEAMS,
        q: Annotated[str, Query(max_length=200)] = "",
        assigned: Annotated[int, Query(ge=0, le=1000)] = 0,
    ) -> HTMLResponse:
        # A broken knowledge edit keeps the old articles serving; staff must still hear of it.
        knowledge = service.knowledge_status
        inbox = await console_live.read_inbox(service, agent, filter, q)
        context = {"agent": agent, "knowledge": knowledge, "inbox": inbox, "search": q}
        context |= {"assigned": assigned}
        context |= {"inbox_filters": console_live.FILTERS}
        return page(request, "console_queue.html", context)

    @router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
    async def conversation(
        request: Request, conversation_id: UUID, agent: CurrentAgent
    ) -> HTMLResponse:
        return await conversation_page(request, agent, conversation_id)

    # Actions -------------------------------------------------------------------------

    @router.post("/conversations/{conversation_id}/claim", response_class=HTMLResponse)
    async def claim(
        request: Request, conversation_id: UUID, agent: CurrentAgent, csrf: CsrfField = ""
    ) -> Response:
        check_csrf(request, csrf)
        await readable(agent, conversation_id)
        try:
            await runtime.claim(conversation_id, agent.id)
        except AlreadyClaimed as exc:
            if exc.owner_agent_id is not None and exc.owner_agent_id != agent.id:
                holder = await store.get_agent(exc.owner_agent_id)
                error = f"Already taken by {holder.name}."
            else:
                error = "This conversation is no longer waiting in the queue."
            return await conversation_page(request, agent, conversation_id, error=error, status=409)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such conversation") from exc
        return back_to(conversation_id)

    @router.post("/conversations/{conversation_id}/reply", response_class=HTMLResponse)
    async def reply(
        request: Request,
        conversation_id: UUID,
        agent: CurrentAgent,
        csrf: CsrfField = "",
        text: Annotated[str, Form()] = "",
        reply_id: Annotated[str, Form(max_length=64)] = "",
        file: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        check_csrf(request, csrf)
        # The form's one-time id makes a double-clicked Send store the reply once.
        external_id = f"console:{agent.id}:{reply_id}" if reply_id.isalnum() else None
        try:
            # A browser sends an empty part when no file was chosen.
            data = await file.read() if file is not None else b""
            files = [NewAttachment.check(data, file.filename)] if file is not None and data else []
            sent = await runtime.agent_reply(
                conversation_id, agent.id, text, external_id=external_id, files=files
            )
        except AttachmentRefused as exc:
            error = (
                "That file is too large: files can be up to 5 MB."
                if exc.reason == "size"
                else "Only pictures (PNG, JPEG, GIF, WebP) and PDF files can be sent."
            )
            status = 413 if exc.reason == "size" else 415
            return await conversation_page(
                request, agent, conversation_id, error=error, status=status
            )
        except MessageRejected:
            return await conversation_page(
                request, agent, conversation_id, error="Write a reply first.", status=422
            )
        except NotOwner:
            return await not_yours(request, agent, conversation_id)
        # The reply is there: the customer's "… is typing" ends now, not when the ping expires.
        typing.stop((await store.get_conversation(sent.conversation_id)).customer_id)
        return back_to(conversation_id)

    def owner_action(
        act: Callable[[UUID, int], Awaitable[object]],
    ) -> Callable[..., Awaitable[Response]]:
        """A one-button form that only the conversation's agent may use."""

        async def endpoint(
            request: Request, conversation_id: UUID, agent: CurrentAgent, csrf: CsrfField = ""
        ) -> Response:
            check_csrf(request, csrf)
            try:
                await act(conversation_id, agent.id)
            except HandoffError:
                return await not_yours(request, agent, conversation_id)
            return back_to(conversation_id)

        return endpoint

    owner_actions: dict[str, Callable[[UUID, int], Awaitable[object]]] = {
        "release": runtime.release,
        "resolve": runtime.resolve,
        "hand-back": runtime.hand_back,
    }
    for name, act in owner_actions.items():
        router.add_api_route(
            f"/conversations/{{conversation_id}}/{name}",
            owner_action(act),
            methods=["POST"],
            response_class=HTMLResponse,
            name=name,
        )

    async def not_yours(request: Request, agent: Agent, conversation_id: UUID) -> HTMLResponse:
        error = console_desk.NOT_YOURS
        return await conversation_page(request, agent, conversation_id, error=error, status=409)

    async def desk_error(
        request: Request, agent: Agent, conversation_id: UUID, error: str
    ) -> HTMLResponse:
        return await conversation_page(request, agent, conversation_id, error=error, status=409)

    console_desk.add_desk_routes(
        router,
        service,
        current_agent=current_agent,
        check_csrf=check_csrf,
        back_to=back_to,
        fail=desk_error,
    )
    console_live.add_live_routes(
        router,
        service,
        current_agent=current_agent,
        customer_typing=customer_typing if customer_typing is not None else TypingRegistry(),
    )

    # Live JSON API ---------------------------------------------------------------------

    @router.post("/api/conversations/{conversation_id}/typing", status_code=204)
    async def api_typing(
        request: Request,
        conversation_id: UUID,
        agent: CurrentAgent,
        x_csrf_token: Annotated[str, Header()] = "",
    ) -> Response:
        check_csrf(request, x_csrf_token)
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

    async def queue_data(agent: Agent, team_filter: str = console_desk.MY_TEAMS) -> QueueOut:
        queue = [
            QueueItemOut(
                conversation_id=entry.conversation.id,
                position=entry.position,
                team=team_name(entry.handoff.team or entry.conversation.team),
                customer=customer_label(entry.customer),
                waiting_since=entry.handoff.requested_at,
                last_customer_text=entry.last_customer_text,
            )
            for entry in console_desk.filter_queue(await store.queue(), agent, team_filter)
            if may_read(agent, entry.conversation, all_teams=read_all_teams)
        ]
        mine = []
        for owned in await store.agent_conversations(agent.id):
            customer = await store.get_customer(owned.customer_id)
            mine.append(
                MineItemOut(
                    conversation_id=owned.id,
                    team=team_name(owned.team),
                    customer=customer_label(customer),
                    updated_at=owned.updated_at,
                )
            )
        return QueueOut(queue=queue, mine=mine)

    @router.get("/api/queue")
    async def api_queue(agent: CurrentAgent, team: TeamFilter = console_desk.MY_TEAMS) -> QueueOut:
        return await queue_data(agent, team)

    @router.get("/attachments/{attachment_id}", include_in_schema=False)
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
        await readable(agent, stored.conversation_id)
        return file_response(stored)

    @router.get("/api/conversations/{conversation_id}/messages")
    async def api_messages(
        conversation_id: UUID,
        agent: CurrentAgent,
        # Message ids are 64-bit: a larger value would overflow the database driver (a 500).
        after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,
    ) -> TranscriptOut:
        conversation = await readable(agent, conversation_id)
        owner = await owner_of(conversation)
        closed = conversation.closed_at is not None
        return TranscriptOut(
            state="resolved" if closed else conversation.state.value,
            owner=owner.name if owner and conversation.state is ConversationState.AGENT else None,
            messages=[
                console_live.ConsoleMessageOut.of(m)
                for m in await store.transcript(conversation_id, after_seq=after)
            ],
        )

    return router
