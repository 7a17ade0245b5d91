"""The desk's actions on a conversation: claim, reply, release, resolve, hand back and
transfer.

Every route here changes something: the router's dependencies check the login and the CSRF
token before any of them runs.
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
from collections.abc import Awaitable, Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from bot.channels.web.console import desk
from bot.channels.web.console.conversation import ConversationPage, back_to
from bot.channels.web.console.session import Console
from bot.channels.web.typing_indicator import TypingRegistry
from bot.errors import MessageRejected
from handoff.attachments import NewAttachment
from handoff.errors import (
    AgentUnavailable,
    AlreadyClaimed,
    AttachmentRefused,
    IllegalTransition,
    NotFound,
    NotOwner,
)
from handoff.model import Agent


def build_router(console: Console, pages: ConversationPage, *, typing: TypingRegistry) -> APIRouter:
    """The action forms under ``/console/conversations/{id}``.

    Args:
        console: the console's service, templates and session checks.
        pages: renders a conversation page again with what went wrong.
        typing: who is typing to which customer (shared with the web chat); a reply ends
            its agent's "… is typing".
    """
    router = console.router()
    service = console.service
    store = service.store
    runtime = service.runtime
    CurrentAgent = Annotated[Agent, Depends(console.current_agent)]  # noqa: N806 (a type alias)

    @router.post("/conversations/{conversation_id}/claim", response_class=HTMLResponse)
    async def claim(request: Request, conversation_id: UUID, agent: CurrentAgent) -> Response:
        await desk.readable(service, agent, conversation_id)
        try:
            await runtime.claim(conversation_id, agent.id)
        except AlreadyClaimed as exc:
            if exc.owner_agent_id is not None and exc.owner_agent_id != agent.id:
                holder = await store.get_agent(exc.owner_agent_id)
                error = f"Already taken by {holder.name}."
            else:
                error = "This conversation is no longer waiting in the queue."
            return await pages.refused(request, agent, conversation_id, error)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such conversation") from exc
        return back_to(conversation_id)

    @router.post("/conversations/{conversation_id}/reply", response_class=HTMLResponse)
    async def reply(
        request: Request,
        conversation_id: UUID,
        agent: CurrentAgent,
        text: Annotated[str, Form()] = "",
        reply_id: Annotated[str, Form(max_length=64)] = "",
        file: Annotated[UploadFile | None, File()] = None,
    ) -> Response:
        await desk.readable(service, agent, conversation_id)
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
            return await pages.render(request, agent, conversation_id, error=error, status=status)
        except MessageRejected:
            return await pages.render(
                request, agent, conversation_id, error="Write a reply first.", status=422
            )
        except NotFound as exc:  # erased meanwhile
            raise HTTPException(status_code=404, detail="no such conversation") from exc
        except (NotOwner, IllegalTransition) as exc:
            return await pages.refused(request, agent, conversation_id, desk.refusal(exc))
        # The reply is there: the customer's "… is typing" ends now, not when the ping expires.
        typing.stop((await store.get_conversation(sent.conversation_id)).customer_id)
        return back_to(conversation_id)

    def owner_action(
        act: Callable[[UUID, int], Awaitable[object]],
    ) -> Callable[..., Awaitable[Response]]:
        """A one-button form that only the conversation's agent may use."""

        async def endpoint(
            request: Request, conversation_id: UUID, agent: CurrentAgent
        ) -> Response:
            await desk.readable(service, agent, conversation_id)
            try:
                await act(conversation_id, agent.id)
            except NotFound as exc:  # erased meanwhile
                raise HTTPException(status_code=404, detail="no such conversation") from exc
            except (NotOwner, IllegalTransition) as exc:
                return await pages.refused(request, agent, conversation_id, desk.refusal(exc))
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

    @router.post("/conversations/{conversation_id}/transfer", response_class=HTMLResponse)
    async def transfer(
        request: Request,
        conversation_id: UUID,
        agent: CurrentAgent,
        to: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        kind, _, target = to.partition(":")
        teams = {team.id for team in service.settings.teams}
        try:
            if kind == "agent" and target.isdigit():
                await runtime.transfer_to_agent(conversation_id, agent.id, int(target))
            elif kind == "team" and target in teams:
                await runtime.transfer_to_team(conversation_id, agent.id, target)
            else:
                error = "Choose whom to transfer to."
                return await pages.refused(request, agent, conversation_id, error)
        except (AgentUnavailable, NotFound):
            error = "That colleague cannot take it."
            return await pages.refused(request, agent, conversation_id, error)
        except (NotOwner, IllegalTransition) as exc:
            return await pages.refused(request, agent, conversation_id, desk.refusal(exc))
        return back_to(conversation_id)

    return router
