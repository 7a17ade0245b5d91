"""Process entry points: the web service and the terminal chat."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable

import uvicorn

from bot.channels.terminal import chat, read_stdin_line
from bot.channels.web.app import create_app
from bot.channels.web.http_limits import bounded_protocol
from bot.runtime.feed import ChangeFeed
from bot.service import collector
from bot.service.composition import (
    KnowledgeHolder,
    Service,
    build_runtime,
    build_service,
    load_snapshot,
)
from bot.settings.model import Settings
from handoff.store.sql import SqlStore

log = logging.getLogger(__name__)


def banner(service: Service, port: int) -> str:
    """What `helpline run` prints: where to go and, on the sample deployment, who to be."""
    settings = service.settings
    base = settings.public_url or f"http://{settings.host}:{port}"
    lines = [
        "",
        "Helpline is running.",
        f"  Listening on:           http://{settings.host}:{port}",
        f"  Web chat (customers):   {base}/",
        f"  Agent console (staff):  {base}/console",
        *([f"  Widget on a demo site:  {base}/demo"] if settings.web_demo_page else []),
        f"  Database:               {settings.shown_database_url()}",
        f"  Knowledge:              {settings.knowledge_dir}",
    ]
    if settings.demo_agents:
        lines.append("  Demo logins (login / password):")
        lines.extend(
            f"    {a.login} / {a.password}  ({a.name}; {', '.join(a.teams) or 'no team'})"
            for a in settings.demo_agents
        )
    lines.append("Press Ctrl+C to stop.")
    return "\n".join(lines)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    """The event loop the service runs on: uvloop where it is installed, else asyncio's.

    uvloop's loop does the event loop's work in C, including the wake-ups of the store's
    worker threads: in the load benchmark it took 0.3-1 ms of CPU off each message
    (docs/performance.md). The service's libraries (uvicorn, psycopg, aiosqlite,
    python-telegram-bot, APScheduler) run on either. One known cost: on PostgreSQL, 4x
    overloaded, the requests that still take the ORM path waited longer than on asyncio's
    loop while the rest were faster (docs/performance.md, "An open problem").
    """
    try:
        import uvloop
    except ImportError:  # e.g. on Windows, where uvloop does not exist
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def server_config(service: Service) -> uvicorn.Config:
    """How uvicorn serves the web application of ``service``.

    uvicorn's own proxy-header handling stays off: by default it believes
    ``X-Forwarded-For`` from 127.0.0.1, so any local client could claim any address. The
    application decides whom to believe, from the ``trusted_proxies`` setting
    (:mod:`bot.channels.web.client_address`).
    """
    settings = service.settings
    return uvicorn.Config(
        create_app(service),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        # uvicorn's own loggers go through ours (one format, and secrets redacted)
        # instead of its own handlers.
        log_config=None,
        access_log=False,
        proxy_headers=False,
        # Bounded connections, header time and header size (docs/deployment.md, "Security").
        limit_concurrency=settings.web_max_connections,
        http=bounded_protocol(
            header_timeout_s=settings.web_header_timeout_s,
            max_header_bytes=settings.web_max_header_bytes,
        ),
    )


async def serve(settings: Settings) -> None:
    """Run the service until interrupted."""
    # The web chat's tail latency: see bot/service/collector.py.
    service = await build_service(settings, after_reload=collector.settle)
    try:
        server = uvicorn.Server(server_config(service))
        # Bound here rather than by uvicorn so that port 0 (any free port) works: the banner
        # names the port the system chose, and nothing else can take it in between.
        family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
        listening = socket.create_server((settings.host, settings.port), family=family)
        print(banner(service, listening.getsockname()[1]), flush=True)
        if service.telegram is not None:
            await service.telegram.start()
        await service.start_timers()
        collector.settle()
        await server.serve(sockets=[listening])
    finally:
        if service.telegram is not None:
            await service.telegram.stop()
        await service.close()


async def terminal_chat(settings: Settings) -> None:
    """Chat in the terminal against the deployment's database and knowledge."""
    knowledge = KnowledgeHolder(load_snapshot(settings))
    store = await SqlStore.open(settings.database_url, migrate=True)
    try:
        runtime, _ = build_runtime(settings, store, knowledge, ChangeFeed())
        print("Type your question; /human asks for a person, /quit ends.")
        await chat(runtime, read_line=read_stdin_line)
    finally:
        await store.close()
