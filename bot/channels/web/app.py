"""The web application: routers, security headers, sessions, static files and templates.

Everything HTTP is assembled here, in one place; the routers themselves live in
:mod:`bot.channels.web.chat` (customers) and :mod:`bot.channels.web.console` (agents).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from markupsafe import Markup
from starlette.datastructures import MutableHeaders
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.channels.web import (
    avatars,
    chat,
    console,
    demo_page,
    files,
    metrics_route,
    telegram_webhook,
)
from bot.channels.web.client_address import trust_proxies
from bot.channels.web.invalid_input import invalid_request
from bot.channels.web.typing_indicator import TypingRegistry
from bot.channels.web.unavailable import store_unavailable
from handoff import markup
from handoff.attachments import refs_of
from handoff.errors import StoreUnavailable
from handoff.office_hours import zone

if TYPE_CHECKING:
    from bot.service.composition import Service

log = logging.getLogger(__name__)

WEB_DIR = Path(__file__).parent
MAX_BODY_BYTES = 64 * 1024
SESSION_COOKIE = "helpline_console"
SESSION_MAX_AGE_S = 12 * 60 * 60

# Scripts and styles come only from our own static files: no inline JS or CSS anywhere.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        # blob: the chat shows files from copies it fetched with the customer's token.
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
#: The pages a site may frame (the chat page, which the widget opens in an iframe).
FRAMEABLE_PATHS = frozenset({"/"})


def frame_ancestors(embed_origins: tuple[str, ...]) -> str:
    """The CSP ``frame-ancestors`` sources of the chat page: itself and the listed sites."""
    return " ".join(("'self'", *embed_origins))


class SecurityHeaders:
    """ASGI middleware adding the security headers to every HTTP response.

    Responses outside ``/static/`` are marked ``no-store``: console pages and the chat API
    carry customer data that must not linger in shared caches. Only the pages in
    :data:`FRAMEABLE_PATHS` may be framed, by the sources in ``embed_ancestors``; everything
    else, the console above all, refuses to be framed at all.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool, embed_ancestors: str = "'self'") -> None:
        self._app = app
        self._hsts = hsts
        self._embed_policy = CONTENT_SECURITY_POLICY.replace(
            "frame-ancestors 'none'", f"frame-ancestors {embed_ancestors}"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")
        frameable = scope.get("path") in FRAMEABLE_PATHS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if frameable:
                    # X-Frame-Options cannot name other sites; frame-ancestors can, and
                    # browsers that know it ignore X-Frame-Options anyway.
                    headers.setdefault("Content-Security-Policy", self._embed_policy)
                else:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                    headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
                if self._hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
                if not static:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self._app(scope, receive, send_with_headers)


class BodySizeLimit:
    """ASGI middleware refusing request bodies larger than ``max_bytes`` with 413.

    Paths for which ``upload_paths`` is true (those that carry a file) may send up to
    ``upload_bytes`` instead.

    A declared ``Content-Length`` is refused up front; a chunked body is read into memory
    up to the limit (our bodies are small forms and JSON) and then replayed to the app.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        upload_bytes: int | None = None,
        upload_paths: Callable[[str], bool] = lambda path: False,
    ) -> None:
        self._app = app
        self._max = max_bytes
        self._upload_max = upload_bytes or max_bytes
        self._is_upload = upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self._app(scope, receive, send)
            return
        limit = self._upload_max if self._is_upload(str(scope.get("path", ""))) else self._max
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; let the app see the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return message

        await self._app(scope, replay, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse({"detail": "request body too large"}, status_code=413)
    await response(scope, receive, send)


def carries_a_file(path: str) -> bool:
    """Whether requests to ``path`` may carry a file: a chat upload, a console reply or an
    agent's picture."""
    if path == chat.FILES_PATH:
        return True
    if path.startswith(console.agents.AGENTS_PATH + "/") and path.endswith("/avatar"):
        return True  # an agent's picture, checked against its own, smaller limit there
    return path.startswith("/console/conversations/") and path.endswith("/reply")


class _CompiledTemplates(jinja2.BytecodeCache):
    """Compiled templates kept for every environment of the process.

    Each app builds its environment (its clock filter is the deployment's); the code a
    template compiles to does not depend on filters or globals, so an app built after the
    first one (a test's, or a second deployment's) loads it instead of compiling again.
    Jinja keys it by template and checks it against the source's checksum.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


_COMPILED = _CompiledTemplates()


def build_templates(time_zone: str = "UTC") -> Jinja2Templates:
    """The Jinja2 templates of the chat page and the console, autoescaping everything.

    Args:
        time_zone: the deployment's; the ``clock`` filter shows times on its clock.
    """
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_COMPILED,
    )
    env.filters["clock"] = partial(format_clock, time_zone=zone(time_zone))
    env.globals["time_zone"] = time_zone  # console.js shows live times on the same clock
    env.filters["ago"] = format_ago
    env.filters["markup"] = format_markup
    env.filters["attachments"] = console_files
    return Jinja2Templates(env=env)


def format_markup(text: str) -> Markup:
    """A message's Markdown as the safe HTML subset of :func:`handoff.markup.to_html`."""
    return Markup(markup.to_html(text))  # safe: to_html escapes every text it writes


def console_files(meta: Mapping[str, Any]) -> list[files.AttachmentOut]:
    """The files a message's meta names, as the console links them."""
    return [files.AttachmentOut.of(ref, prefix=files.CONSOLE_FILES) for ref in refs_of(meta)]


def format_clock(moment: datetime | None, *, time_zone: tzinfo = UTC) -> str:
    """A timestamp on the deployment's clock with the zone's name, ``2026-12-07 00:30 CET``
    (empty for None): staff elsewhere, or reading across midnight, know which day it is."""
    if moment is None:
        return ""
    local = moment.astimezone(time_zone) if moment.tzinfo is not None else moment
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or 'UTC'}"


def format_ago(moment: datetime | None) -> str:
    """How long ago a timestamp was, roughly (``just now``, ``12 min ago``, ``3 h 5 min ago``)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the store keeps UTC
    minutes = max(0, int((datetime.now(UTC) - moment).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    return f"{minutes // 60} h {minutes % 60} min ago"


def create_app(service: Service) -> FastAPI:
    """Build the web application of one Helpline service.

    The application does not own the service: whoever built it closes it.

    Args:
        service: the composed service (store, runtime, feed, phrases, secret key).

    Returns:
        The FastAPI application serving the web chat, the agent console and ``/healthz``.
    """
    app = FastAPI(title="Helpline", docs_url=None, redoc_url=None, openapi_url=None)
    templates = build_templates(service.settings.time_zone)
    secure = (service.settings.public_url or "").startswith("https://")

    typing = TypingRegistry()  # the console writes it, the customers' streams read it
    customer_typing = TypingRegistry()  # the web chat writes it, the consoles' streams read it
    routers = [
        chat.build_router(service, templates, typing=typing, customer_typing=customer_typing),
        console.build_router(service, templates, typing=typing, customer_typing=customer_typing),
        metrics_route.build_router(service),
        avatars.build_router(service),
    ]
    if service.settings.web_demo_page is not None:
        routers.append(demo_page.build_router(service.settings.web_demo_page))
    if service.telegram is not None and service.telegram.mode == "webhook":
        routers.append(telegram_webhook.build_router(service.telegram))
    for router in routers:
        # The routes as they are: include_router would analyse every endpoint's signature
        # again (FastAPI does it per inclusion), a quarter of a second per app.
        app.router.routes.extend(router.routes)
    app.add_exception_handler(console.LoginRequired, console.redirect_to_login)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StoreUnavailable, store_unavailable(templates))
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    @app.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
    async def healthz() -> JSONResponse:
        try:
            await service.store.recent_conversations(limit=1)
        except Exception:  # any failure of the database means "not healthy"
            log.exception("health check: the database does not answer")
            return JSONResponse({"status": "unavailable"}, status_code=503)
        return JSONResponse({"status": "ok"})

    # Added last = outermost: the size limit runs before anything reads the body, and the
    # security headers also cover the 413 answers.
    app.add_middleware(
        SessionMiddleware,
        secret_key=service.secret_key,
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE_S,
        path="/console",
        same_site="lax",
        https_only=secure,
    )
    app.add_middleware(
        BodySizeLimit,
        max_bytes=MAX_BODY_BYTES,
        upload_bytes=files.MAX_UPLOAD_BODY,
        upload_paths=carries_a_file,
    )
    app.add_middleware(
        SecurityHeaders,
        hsts=secure,
        embed_ancestors=frame_ancestors(service.settings.web_embed_origins),
    )
    # Outermost of all: everything behind it sees the client's address, not the proxy's.
    trust_proxies(app, service.settings.trusted_proxies)
    return app
