"""The customer web chat: the page, its JSON API and a Server-Sent Events stream.

A web customer is identified by a random conversation token that the page keeps in
``localStorage`` and sends as ``Authorization: Bearer <token>``. ``EventSource`` cannot send
headers, so the stream takes a short-lived, single-use signed ticket instead of the token:
the long-lived token never appears in a URL (or in an access log). The store keeps only a
digest of the token (:mod:`handoff.bearer`).
"""

# No ``from __future__ import annotations`` here: FastAPI reads the annotations of the
# route functions defined inside build_router, which must resolve in that local scope.
import asyncio
import functools
import pathlib
import secrets
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.templating import Jinja2Templates

from bot.channels.throttle import SlidingWindow
from bot.channels.web.chat_limits import StreamSlots, TicketBook, TicketRefused
from bot.channels.web.client_address import client_address
from bot.channels.web.files import AttachmentOut, file_response, refused
from bot.channels.web.resume import ResumeRefused
from bot.channels.web.typing_indicator import TypingRegistry
from bot.channels.web.unavailable import StreamRetry
from bot.dialogue.turns import Utterance
from bot.errors import MessageRejected, UnknownSender
from bot.runtime.feed import typing_key
from bot.runtime.incoming import IncomingMessage
from handoff import markup, payloads
from handoff.attachments import ONLY_FILES, NewAttachment, refs_of
from handoff.avatars import avatar_path
from handoff.bearer import token_digest
from handoff.errors import AttachmentRefused, NotFound, StoreUnavailable
from handoff.model import JOINED_TEAM, Customer, Message, MessageKind, SenderKind
from handoff.reply_mail import InvalidAddress, check_address

if TYPE_CHECKING:
    from bot.service.composition import Service

CHANNEL = "web"
#: A ticket is fetched right before the stream opens; a minute covers a slow network.
TICKET_MAX_AGE_S = 60
#: The largest message id: ids are 64-bit in every database, and a larger ``after`` would
#: overflow the database driver (a 500) instead of listing nothing.
MAX_MESSAGE_ID = 2**63 - 1
UI_LANGUAGES = ("en", "da")
#: The bot's phrases the page needs for its e-mail question (overridable like the others).
EMAIL_PHRASES = ("email_field", "email_save", "email_skip")
#: Where the chat serves the files of its messages.
FILES_PATH = "/api/chat/attachments"
WIDGET_SCRIPT = pathlib.Path(__file__).parent / "static" / "widget.js"
#: Sites cache the widget script for an hour, so an upgrade reaches them within the hour.
WIDGET_CACHE = "public, max-age=3600"

#: No agents' pictures (messages without an agent's).
EMPTY: Mapping[int, int] = MappingProxyType({})

UI_STRINGS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": {
            "title": "Helpline",
            "subtitle": "Ask a question, or ask for a person",
            "waiting": "Waiting for a person",
            "label": "Your message",
            "placeholder": "Type your question…",
            "send": "Send",
            "you": "You",
            "bot": "Helpline bot",
            "support": "Support",
            "log": "Conversation",
            "sending": "Sending…",
            "offline": "Connection lost. Trying again…",
            "unavailable": "We have a problem on our side. Your message will be sent "
            "as soon as it is solved…",
            "failed": "Your message could not be sent. Please try again.",
            "new": "Start a new conversation",
            "typing_bot": "Helpline is typing…",
            "typing_agent": "{name} is typing…",
            "queued": "You are offline. Your message will be sent when the connection is back.",
            "flood": "You are sending messages very fast. Please wait a moment and send it "
            "again; that message was not sent.",
            "close": "Close chat",
            "today": "Today",
            "yesterday": "Yesterday",
            "unread": "New message from support",
            "ended": "This conversation has ended.",
            "attach": "Attach a picture or a PDF",
            "file_type": "Only pictures (PNG, JPEG, GIF, WebP) and PDF files can be sent.",
            "file_size": "That file is too large: files can be up to 5 MB.",
            "resume_failed": "That link has expired or is not valid. You can start a new "
            "conversation here.",
        },
        "da": {
            "title": "Helpline",
            "subtitle": "Stil et spørgsmål, eller bed om en medarbejder",
            "waiting": "Venter på en medarbejder",
            "label": "Din besked",
            "placeholder": "Skriv dit spørgsmål…",
            "send": "Send",
            "you": "Dig",
            "bot": "Helpline-bot",
            "support": "Support",
            "log": "Samtale",
            "sending": "Sender…",
            "offline": "Forbindelsen blev afbrudt. Prøver igen…",
            "unavailable": "Vi har et problem hos os. Din besked bliver sendt, "
            "så snart det er løst…",
            "failed": "Din besked kunne ikke sendes. Prøv venligst igen.",
            "new": "Start en ny samtale",
            "typing_bot": "Helpline skriver…",
            "typing_agent": "{name} skriver…",
            "queued": "Du er offline. Din besked bliver sendt, når forbindelsen er tilbage.",
            "flood": "Du sender beskeder meget hurtigt. Vent venligst et øjeblik og send den "
            "igen; den besked blev ikke sendt.",
            "close": "Luk chatten",
            "today": "I dag",
            "yesterday": "I går",
            "unread": "Ny besked fra support",
            "ended": "Samtalen er afsluttet.",
            "attach": "Vedhæft et billede eller en PDF",
            "file_type": "Der kan kun sendes billeder (PNG, JPEG, GIF, WebP) og PDF-filer.",
            "file_size": "Filen er for stor: filer må højst fylde 5 MB.",
            "resume_failed": "Linket er udløbet eller ugyldigt. Du kan starte en ny samtale her.",
        },
    }
)


class SessionOut(BaseModel):
    """A new web conversation: the token the page keeps and sends as a bearer token."""

    token: str


class ButtonOut(BaseModel):
    """A quick reply: the title shown and the payload sent back when pressed."""

    title: str
    payload: str


class MessageOut(BaseModel):
    """One transcript message as the chat page shows it."""

    id: int
    sender: str
    text: str
    #: ``text`` formatted: the safe HTML subset of :func:`handoff.markup.to_html`.
    html: str
    agent_name: str | None
    buttons: list[ButtonOut]
    created_at: datetime
    #: What the message is for the page (``resolved``, ``rating_request``...), if anything.
    kind: str | None = None
    attachments: list[AttachmentOut] = []
    #: The message is only its files (its text just names them).
    only_files: bool = False

    #: Where the agent's picture is, when the message is an agent's who has one.
    agent_avatar: str | None = None
    #: The team of the agent who joined, by the name the customer was told (``agent_joined``).
    agent_team: str | None = None

    @classmethod
    def of(cls, message: Message, avatars: Mapping[int, int] = EMPTY) -> "MessageOut":
        """The public view of a stored message (no internal metadata).

        Args:
            avatars: the version of each agent's picture (:meth:`Store.avatar_versions`).
        """
        version = avatars.get(message.agent_id) if message.agent_id is not None else None
        return cls(
            id=message.id,
            sender=message.sender.value,
            text=message.text,
            html=_html_of(message),
            agent_name=message.agent_name,
            agent_avatar=None if version is None else avatar_path(message.agent_id or 0, version),
            agent_team=team if isinstance(team := message.meta.get(JOINED_TEAM), str) else None,
            buttons=[ButtonOut(title=b.title, payload=b.payload) for b in message.buttons],
            created_at=message.created_at,
            kind=kind if isinstance(kind := message.meta.get("kind"), str) else None,
            attachments=[AttachmentOut.of(ref, prefix=FILES_PATH) for ref in refs_of(message.meta)],
            only_files=bool(message.meta.get(ONLY_FILES)),
        )


#: The bot's replies whose text comes from the knowledge or a fixed phrase, never from what
#: a customer wrote: the same few texts over and over, formatted once each.
_REPEATED_KINDS = frozenset(
    {MessageKind.ANSWER, MessageKind.CLARIFY, MessageKind.FALLBACK, MessageKind.STILL_QUEUED}
)
#: Formatting an article's answer (links found by linkify) was about a tenth of the CPU of
#: a web chat message.
_repeated_html = functools.lru_cache(maxsize=1024)(markup.to_html)


def _html_of(message: Message) -> str:
    if message.sender is SenderKind.BOT and MessageKind.of(message.meta) in _REPEATED_KINDS:
        return _repeated_html(message.text)
    return markup.to_html(message.text)


class MessageIn(BaseModel):
    """A customer message: the client's id for it (retries reuse it), text, button payload."""

    model_config = ConfigDict(extra="forbid")

    client_id: UUID
    text: str = Field(default="", max_length=20_000)
    payload: str | None = Field(default=None, max_length=200)

    @field_validator("text", "payload")
    @classmethod
    def _encodable(cls, value: str | None) -> str | None:
        # JSON can carry a lone surrogate ("\ud800"), which no database can store.
        if value is not None and not _is_encodable(value):
            raise ValueError("the text is not valid Unicode")
        return value


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class PostedOut(BaseModel):
    """The stored message and the replies to it; ``duplicate`` for a retried client id."""

    messages: list[MessageOut]
    duplicate: bool


class TypingOut(BaseModel):
    """Who is typing to the customer (an agent's name), or nobody (None)."""

    name: str | None


class EmailIn(BaseModel):
    """The customer's answer to the e-mail question: an address, or None to decline."""

    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(default=None, max_length=320)


class ResumeIn(BaseModel):
    """A mailed resume link's token, exchanged for a conversation token."""

    model_config = ConfigDict(extra="forbid")

    link: str = Field(max_length=500)


class TicketOut(BaseModel):
    """A short-lived ticket that opens the event stream of one customer."""

    ticket: str
    expires_in: int


def pick_language(query: str | None, accept_language: str | None) -> str:
    """The UI language: ``?lang=`` if supported, else the best Accept-Language match.

    Args:
        query: the ``lang`` query parameter, if any.
        accept_language: the ``Accept-Language`` header, if any.

    Returns:
        One of :data:`UI_LANGUAGES` (English when nothing matches).
    """
    if query and query.lower() in UI_LANGUAGES:
        return query.lower()
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.split("-")[0].strip().lower()
        if primary in UI_LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else UI_LANGUAGES[0]


def _say_language(response: Response, language: str | None) -> None:
    """Tell the page the conversation's language (``Content-Language``), if it has words in it.

    The page starts in the site's language; once the bot knows the customer's (from what
    they wrote), its own words (title, placeholder, day names) follow the bot's.
    """
    if language in UI_LANGUAGES:
        response.headers["Content-Language"] = language


def _bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _resume_after(last_event_id: str | None) -> int:
    """The message id a reconnecting EventSource saw last; 0 when the header is not an id.

    Only ASCII digits count (``str.isdigit`` also accepts "\xb2", a header byte read as
    Latin-1, which ``int`` refuses), and an id past :data:`MAX_MESSAGE_ID` is capped to it
    (``int`` also refuses some thousands of digits).
    """
    if not last_event_id or not (last_event_id.isascii() and last_event_id.isdigit()):
        return 0
    if len(last_event_id) > len(str(MAX_MESSAGE_ID)):
        return MAX_MESSAGE_ID
    return min(int(last_event_id), MAX_MESSAGE_ID)


class TokenOwners:
    """Which customer each chat token belongs to, remembered once looked up.

    A message then costs the store one transaction, not a lookup first: the runtime stores
    it only if the customer still exists (:attr:`IncomingMessage.registered`), so a
    remembered token of a customer erased since is refused there and forgotten here. A
    token's customer never changes. Bounded: past ``limit`` tokens it starts afresh.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._owners: dict[str, tuple[int, str]] = {}

    def get(self, digest: str) -> tuple[int, str] | None:
        """The customer id and channel identity behind a token's digest, if remembered
        (a resume link's token belongs to the customer known by their first token)."""
        return self._owners.get(digest)

    def remember(self, digest: str, customer: Customer) -> None:
        """Remember a token's customer."""
        if len(self._owners) >= self._limit:
            self._owners.clear()
        self._owners[digest] = (customer.id, customer.external_id)

    def forget(self, digest: str) -> None:
        """Forget a token (its customer is gone)."""
        self._owners.pop(digest, None)


def _unauthorized() -> HTTPException:
    return HTTPException(
        status_code=401,
        detail="unknown or missing conversation token",
        headers={"WWW-Authenticate": "Bearer"},
    )


def build_router(
    service: "Service",
    templates: Jinja2Templates,
    *,
    typing: TypingRegistry | None = None,
    customer_typing: TypingRegistry | None = None,
) -> APIRouter:
    """The routes of the customer web chat.

    Args:
        service: the running service (store, runtime, feed, phrases, secret key).
        templates: the web templates.
        typing: who is typing to which customer (shared with the console).
        customer_typing: which customers are typing (the console's streams read it).

    Returns:
        A router with ``/``, ``/widget.js`` and the ``/api/chat`` API.
    """
    router = APIRouter()
    store = service.store
    settings = service.settings
    typing = typing if typing is not None else TypingRegistry()
    customer_typing = customer_typing if customer_typing is not None else TypingRegistry()
    tickets = TicketBook(service.secret_key, max_age_s=TICKET_MAX_AGE_S)
    slots = StreamSlots(
        per_customer=settings.web_streams_per_customer,
        per_address=settings.web_streams_per_address,
    )
    flood = SlidingWindow(limit=settings.web_flood_messages, window_s=settings.web_flood_window_s)
    # A fresh token per request would escape the per-conversation flood limit.
    new_sessions = SlidingWindow(
        limit=settings.web_sessions_per_address, window_s=settings.web_sessions_window_s
    )
    widget_script = WIDGET_SCRIPT.read_bytes()

    async def customer_from_token(
        authorization: Annotated[str | None, Header()] = None,
    ) -> tuple[Customer, str]:
        token = _bearer(authorization)
        if token is None:
            raise _unauthorized()
        digest = token_digest(token)
        customer = await store.find_customer(channel=CHANNEL, external_id=digest)
        if customer is None:
            # A token from a resume link: the same customer, known by their first token.
            customer = await store.web_token_customer(digest)
        if customer is None:
            raise _unauthorized()
        return customer, customer.external_id

    Authenticated = Annotated[tuple[Customer, str], Depends(customer_from_token)]  # noqa: N806
    owners = TokenOwners()

    async def sender_from_token(
        authorization: Annotated[str | None, Header()] = None,
    ) -> tuple[int, str, str]:
        token = _bearer(authorization)
        if token is None:
            raise _unauthorized()
        digest = token_digest(token)
        known = owners.get(digest)
        if known is None:
            customer, _ = await customer_from_token(authorization)
            owners.remember(digest, customer)
            known = (customer.id, customer.external_id)
        return known[0], known[1], digest

    # The customer as far as a message needs it (id, identity, the token's digest): that
    # they still exist is checked where the message is stored.
    Sender = Annotated[tuple[int, str, str], Depends(sender_from_token)]  # noqa: N806

    async def refusal_language(customer: Customer) -> str:
        # The language the bot now speaks with the customer: the latest conversation's
        # follows what they write, the customer's is only the page's at the first visit.
        latest = await store.customer_conversations(customer.id, limit=1)
        for language in [latest[0].language if latest else None, customer.language]:
            if language is not None and language in UI_LANGUAGES:
                return language
        return UI_LANGUAGES[0]

    def page_words(language: str) -> dict[str, object]:
        greeting = service.phrases.get("greeting", language)
        strings = dict(UI_STRINGS[language])
        for key in EMAIL_PHRASES:
            strings[key] = service.phrases.get(key, language)
        return {
            "strings": strings,
            "greeting": greeting,
            "greeting_html": markup.to_html(greeting),
        }

    # HEAD too: uptime monitors ask with HEAD and count a 405 as down.
    @router.api_route(
        "/", methods=["GET", "HEAD"], response_class=HTMLResponse, include_in_schema=False
    )
    async def chat_page(
        request: Request,
        lang: str | None = None,
        embed: bool = False,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> HTMLResponse:
        language = pick_language(lang, accept_language)
        config = {
            # The page starts in the site's language and follows the conversation's once
            # the bot knows it (the API says it in Content-Language): every language's
            # strings come along.
            "lang": language,
            # Message times are on the desk's clock, as the bot's "back at 08:00" is.
            "time_zone": settings.time_zone,
            "embed": embed,
            "languages": {code: page_words(code) for code in UI_LANGUAGES},
        }
        return templates.TemplateResponse(
            request,
            "chat.html",
            {
                "lang": language,
                "embed": embed,
                "strings": UI_STRINGS[language],
                "config": config,
                "max_chars": settings.max_message_chars,
            },
        )

    @router.get("/widget.js", include_in_schema=False)
    async def widget() -> Response:
        # A plain script a site loads with <script src>; it needs no CORS, only the type.
        return Response(
            widget_script,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": WIDGET_CACHE},
        )

    @router.post("/api/chat/session", status_code=201, response_model=SessionOut)
    async def new_session(
        request: Request,
        lang: str | None = None,
        accept_language: Annotated[str | None, Header()] = None,
    ) -> SessionOut | JSONResponse:
        address = client_address(request)
        if not new_sessions.hit(address):
            return JSONResponse(
                {"detail": "too many new conversations from this address"},
                status_code=429,
                headers={"Retry-After": str(new_sessions.retry_after(address))},
            )
        token = secrets.token_urlsafe(32)
        language = pick_language(lang, accept_language)
        await store.upsert_customer(
            channel=CHANNEL, external_id=token_digest(token), language=language
        )
        return SessionOut(token=token)

    @router.post("/api/chat/resume", status_code=201, response_model=SessionOut)
    async def resume(body: ResumeIn, request: Request) -> SessionOut | JSONResponse:
        # The link came in a mail; the page read it from its URL's fragment (never sent
        # to a server, so never in an access log) and posts it here.
        address = client_address(request)
        if not new_sessions.hit(address):
            return JSONResponse(
                {"detail": "too many new conversations from this address"},
                status_code=429,
                headers={"Retry-After": str(new_sessions.retry_after(address))},
            )
        if service.resume_links is None:
            raise _unauthorized()
        try:
            customer_id = service.resume_links.redeem(body.link)
            customer = await store.get_customer(customer_id)
        except (ResumeRefused, NotFound) as exc:
            raise _unauthorized() from exc
        if customer.channel != CHANNEL:
            raise _unauthorized()
        token = secrets.token_urlsafe(32)
        await store.add_web_token(customer.id, token_digest(token))
        return SessionOut(token=token)

    @router.post("/api/chat/email", response_model=PostedOut)
    async def leave_email(body: EmailIn, auth: Authenticated) -> PostedOut:
        # The answer to the bot's question (kind "email_ask"): saved, or declined.
        customer, _ = auth
        address = None
        if body.address is not None:
            try:
                address = check_address(body.address)
            except InvalidAddress as exc:
                language = await refusal_language(customer)
                raise HTTPException(
                    status_code=422, detail=service.phrases.get("email_invalid", language)
                ) from exc
        await store.set_reply_address(customer.id, address)
        asked = [
            m
            for m in await store.customer_messages(customer.id)
            if MessageKind.of(m.meta) is MessageKind.EMAIL_ASK
        ]
        if not asked:
            return PostedOut(messages=[], duplicate=False)
        conversation = await store.get_conversation(asked[-1].conversation_id)
        if conversation.closed_at is not None:
            return PostedOut(messages=[], duplicate=False)  # nothing left to confirm in
        language = conversation.language or await refusal_language(customer)
        if address is None:
            utterance = Utterance(
                text=service.phrases.get(MessageKind.EMAIL_SKIPPED, language),
                meta={"kind": MessageKind.EMAIL_SKIPPED},
            )
        else:
            utterance = Utterance(
                text=service.phrases.get(MessageKind.EMAIL_SAVED, language, address=address),
                meta={"kind": MessageKind.EMAIL_SAVED},
            )
        said = await service.runtime.notify(conversation.id, utterance)
        return PostedOut(messages=[MessageOut.of(said)], duplicate=False)

    @router.post("/api/chat/messages", response_model=PostedOut)
    async def post_message(
        body: MessageIn, sender: Sender, response: Response
    ) -> PostedOut | JSONResponse:
        customer_id, key, digest = sender
        # Checked before anything is stored: a refused message leaves no trace, and the
        # customer is told so in their language (the page keeps the text for a retry).
        if not flood.hit(customer_id):
            customer = await store.find_customer(channel=CHANNEL, external_id=key)
            if customer is None:
                owners.forget(digest)
                raise _unauthorized()
            language = await refusal_language(customer)
            return JSONResponse(
                {"detail": UI_STRINGS[language]["flood"]},
                status_code=429,
                headers={"Retry-After": str(flood.retry_after(customer_id))},
            )
        try:
            handled = await service.runtime.handle(
                IncomingMessage(
                    channel=CHANNEL,
                    sender_id=key,
                    external_id=f"web:{customer_id}:{body.client_id}",
                    text=body.text,
                    # A typed "/end" is the command, as on Telegram: the bot's help names it.
                    payload=body.payload or payloads.typed_command(body.text.strip()),
                    registered=True,
                )
            )
        except MessageRejected as exc:
            raise HTTPException(status_code=422, detail=exc.reason) from exc
        except UnknownSender as exc:
            owners.forget(digest)
            raise _unauthorized() from exc
        messages = [handled.message, *handled.replies]
        _say_language(response, handled.conversation.language)
        return PostedOut(messages=[MessageOut.of(m) for m in messages], duplicate=handled.duplicate)

    @router.post("/api/chat/typing", status_code=204)
    async def customer_is_typing(auth: Authenticated) -> Response:
        # Shown to the agent on the conversation's console page, for a few seconds a ping.
        customer, _ = auth
        customer_typing.ping(customer.id, customer.display_name or "")
        service.feed.publish(typing_key(customer.id))
        return Response(status_code=204)

    @router.post(FILES_PATH, response_model=PostedOut)
    async def post_attachment(
        request: Request,
        response: Response,
        auth: Authenticated,
        client_id: UUID,
        name: Annotated[str, Query(max_length=255)] = "",
        caption: Annotated[str, Query(max_length=2000)] = "",
    ) -> PostedOut | JSONResponse:
        # The body is the file itself; its type is read from its content, never the name.
        customer, key = auth
        if not flood.hit(customer.id):
            language = await refusal_language(customer)
            return JSONResponse(
                {"detail": UI_STRINGS[language]["flood"]},
                status_code=429,
                headers={"Retry-After": str(flood.retry_after(customer.id))},
            )
        try:
            file = NewAttachment.check(await request.body(), name)
        except AttachmentRefused as exc:
            language = await refusal_language(customer)
            raise refused(exc, dict(UI_STRINGS[language])) from exc
        ref = await store.add_attachment(customer.id, file)
        handled = await service.runtime.handle(
            IncomingMessage(
                channel=CHANNEL,
                sender_id=key,
                external_id=f"web:{customer.id}:{client_id}",
                text=caption,
                attachments=(ref,),
            )
        )
        messages = [handled.message, *handled.replies]
        _say_language(response, handled.conversation.language)
        return PostedOut(messages=[MessageOut.of(m) for m in messages], duplicate=handled.duplicate)

    @router.get(FILES_PATH + "/{attachment_id}", include_in_schema=False)
    async def get_attachment(
        attachment_id: Annotated[str, Path(max_length=48)], auth: Authenticated
    ) -> Response:
        # Only with the customer's own token (the page fetches it with the header): the id
        # alone, copied from a page, a log or a browser's history, opens nothing. Another
        # customer's file, or one no message carries yet, is as if it did not exist.
        customer, _ = auth
        try:
            stored = await store.get_attachment(attachment_id)
        except NotFound as exc:
            raise HTTPException(status_code=404, detail="no such file") from exc
        if stored.message_id is None or stored.customer_id != customer.id:
            raise HTTPException(status_code=404, detail="no such file")
        return file_response(stored)

    async def avatars_for(messages: Sequence[Message]) -> Mapping[int, int]:
        # Asked only when an agent wrote: the bot's answers cost no extra query.
        if any(m.agent_id is not None for m in messages):
            return await store.avatar_versions()
        return EMPTY

    @router.get("/api/chat/messages")
    async def list_messages(
        auth: Authenticated,
        response: Response,
        after: Annotated[int, Query(ge=0, le=MAX_MESSAGE_ID)] = 0,
    ) -> list[MessageOut]:
        customer, _ = auth
        messages = await store.customer_messages(customer.id, after_id=after)
        await received(customer.id, messages)
        if messages:  # a reload: the latest conversation's language, as when it was shown
            latest = await store.get_conversation(messages[-1].conversation_id)
            _say_language(response, latest.language)
        avatars = await avatars_for(messages)
        return [MessageOut.of(m, avatars) for m in messages]

    async def received(customer_id: int, messages: list[Message]) -> None:
        # An agent's reply the chat received is read: it is not mailed (bot.desk.reply_mail).
        if any(m.sender is SenderKind.AGENT for m in messages):
            await store.mark_seen(customer_id, messages[-1].id)

    @router.post("/api/chat/events/ticket")
    async def events_ticket(auth: Authenticated) -> TicketOut:
        customer, _ = auth
        return TicketOut(ticket=tickets.issue(customer.id), expires_in=TICKET_MAX_AGE_S)

    @router.get("/api/chat/events", response_model=None)
    async def events(
        request: Request,
        ticket: Annotated[str, Query(max_length=500)],
        after: Annotated[int, Query(ge=0, le=MAX_MESSAGE_ID)] = 0,
        last_event_id: Annotated[str | None, Header()] = None,
    ) -> EventSourceResponse | JSONResponse:
        try:
            customer_id = tickets.redeem(ticket)
        except TicketRefused as exc:
            raise _unauthorized() from exc
        slot = slots.take(customer_id, client_address(request))
        if slot is None:
            return JSONResponse({"detail": "too many open streams"}, status_code=429)
        # A reconnecting EventSource reports the last id it saw; that beats the URL's value.
        after = max(after, _resume_after(last_event_id))
        events = slots.held(slot, stream(customer_id, after))
        return EventSourceResponse(events, ping=15, send_timeout=10)

    async def stream(customer_id: int, after: int) -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(retry=2000, comment="connected")
        shown_typing: str | None = None
        retry = StreamRetry("a customer's event stream")
        while True:
            seen = service.feed.version(customer_id)
            try:
                messages = await store.customer_messages(customer_id, after_id=after)
                avatars = await avatars_for(messages)
            except StoreUnavailable as exc:
                # Read again after a pause (or sooner if the feed wakes the stream).
                await service.feed.wait(customer_id, retry.failed(exc), seen=seen)
                continue
            retry.succeeded()
            for message in messages:
                after = message.id
                yield ServerSentEvent(
                    data=MessageOut.of(message, avatars).model_dump_json(),
                    event="message",
                    id=str(message.id),
                )
            # Sent: record it even when the customer closes the chat right now (the stream
            # is then cancelled), or the reply they read would be mailed to them as well.
            try:
                await asyncio.shield(received(customer_id, messages))
            except StoreUnavailable as exc:
                # Shown but not recorded as read: at worst the reply is also mailed.
                retry.failed(exc)
            # No id on typing events: a reconnect resumes after the last message only.
            if (typing_now := typing.who(customer_id)) != shown_typing:
                shown_typing = typing_now
                yield ServerSentEvent(
                    data=TypingOut(name=typing_now).model_dump_json(), event="typing"
                )
            # Only the change feed wakes the stream (what any process stores reaches it);
            # while an agent's typing shows, so does the moment it runs out.
            await service.feed.wait(customer_id, typing.remaining(customer_id), seen=seen)

    return router
