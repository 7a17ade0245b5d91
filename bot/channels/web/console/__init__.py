"""The agent console: one router per concern, all under ``/console``.

- :mod:`.session`: the logged-in agent, admins, CSRF (every router's dependencies)
- :mod:`.auth`: login and logout
- :mod:`.conversation`: the inbox and conversation pages, the queue and transcript JSON
- :mod:`.actions`: claim, reply, release, resolve, hand back, transfer
- :mod:`.agent_typing`: the agent's "… is typing" for the customer
- :mod:`.presence`: the agent's presence (online, away, offline)
- :mod:`.notes`: internal notes
- :mod:`.live`: the inbox API and the live event stream
- :mod:`.saved_replies`: an agent's and their teams' saved replies
- :mod:`.notices`, :mod:`.agents`, :mod:`.dashboard`: the admin pages

Pages are rendered on the server (Jinja2, everything autoescaped); ``console.js`` keeps them
live over the event stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter
from starlette.templating import Jinja2Templates

from bot.channels.web.console import (
    actions,
    agent_typing,
    agents,
    auth,
    conversation,
    dashboard,
    live,
    notes,
    notices,
    presence,
    saved_replies,
)
from bot.channels.web.console.session import Console, LoginRequired, redirect_to_login
from bot.channels.web.typing_indicator import TypingRegistry

if TYPE_CHECKING:
    from bot.service.composition import Service

__all__ = ["LoginRequired", "build_router", "redirect_to_login"]


def build_router(
    service: Service,
    templates: Jinja2Templates,
    *,
    typing: TypingRegistry | None = None,
    customer_typing: TypingRegistry | None = None,
) -> APIRouter:
    """Every route of the agent console.

    Args:
        service: the running service (store, runtime, settings).
        templates: the web templates.
        typing: who is typing to which customer (shared with the web chat).
        customer_typing: which customers are typing (the web chat writes it).

    Returns:
        A router with the pages under ``/console`` and the JSON API under ``/console/api``.
    """
    console = Console.of(service, templates)
    pages = conversation.ConversationPage(console)
    agents_typing = typing if typing is not None else TypingRegistry()
    router = APIRouter()
    for part in (
        auth.build_router(console),
        conversation.build_router(console, pages),
        actions.build_router(console, pages, typing=agents_typing),
        agent_typing.build_router(console, typing=agents_typing),
        presence.build_router(console),
        notes.build_router(console, pages),
        live.build_router(
            console,
            customer_typing=customer_typing if customer_typing is not None else TypingRegistry(),
        ),
        saved_replies.build_router(console),
        notices.build_router(console),
        agents.build_router(console),
        dashboard.build_router(console),
    ):
        # The parts' routes as they are: include_router would analyse each endpoint's
        # signature again (FastAPI does it per inclusion), and the app includes this router.
        router.routes.extend(part.routes)
    return router
