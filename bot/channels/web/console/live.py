"""The console's live inbox: one Server-Sent Events stream per open console page.

The stream sends the agent's inbox list (``inbox``) whenever the desk changes, and, for the
conversation on screen, its new transcript messages and state (``conversation``) and
whether the customer is typing (``typing``). It sleeps on the process's change feed and
reads the database only when woken: an idle console costs nothing.

The inbox filters: ``mine`` (conversations the agent owns), ``teams`` (waiting or owned in
the agent's teams, and those of no team; everything for an agent of no team), ``unassigned``
(waiting in the agent's teams), ``all`` (every open conversation).
"""

# No ``from __future__ import annotations``: FastAPI reads the route annotations below.
import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sse_starlette import EventSourceResponse, ServerSentEvent

from bot.channels.web.console.desk import readable, team_name
from bot.channels.web.console.session import Console
from bot.channels.web.files import CONSOLE_FILES, AttachmentOut
from bot.channels.web.typing_indicator import TypingRegistry
from bot.channels.web.unavailable import StreamRetry
from bot.runtime.feed import DESK, ChangeFeed, typing_key
from handoff import markup
from handoff.attachments import ONLY_FILES, refs_of
from handoff.card import customer_label
from handoff.errors import StoreUnavailable
from handoff.model import Agent, ConversationState, InboxEntry, Message
from handoff.reading import may_read
from handoff.store.port import Store

if TYPE_CHECKING:
    from bot.service.composition import Service

MINE, TEAMS, UNASSIGNED, ALL = "mine", "teams", "unassigned", "all"
#: The inbox filters, in the order the console offers them, with their labels.
FILTERS = ((MINE, "Mine"), (TEAMS, "My teams"), (UNASSIGNED, "Unassigned"), (ALL, "All"))


class InboxItemOut(BaseModel):
    """One conversation in the agent's inbox list."""

    conversation_id: UUID
    customer: str
    team: str
    state: str
    owner: str | None
    mine: bool
    #: Waiting in one of the agent's teams or owned by the agent: what raises an alert.
    for_me: bool
    waiting_since: datetime
    last_customer_text: str | None
    last_customer_seq: int


class InboxOut(BaseModel):
    """The agent's inbox under one filter and search."""

    filter: str
    items: list[InboxItemOut]


class ConsoleMessageOut(BaseModel):
    """One transcript message as the console shows it (its page and its live stream)."""

    seq: int
    sender: str
    agent_name: str | None
    text: str
    #: ``text`` formatted: the safe HTML subset of :func:`handoff.markup.to_html`.
    html: str
    created_at: datetime
    internal: bool = False
    attachments: list[AttachmentOut] = []
    #: The message is only its files (its text just names them).
    only_files: bool = False

    @classmethod
    def of(cls, message: Message) -> "ConsoleMessageOut":
        """The console's view of a stored message."""
        return cls(
            seq=message.seq,
            sender=message.sender.value,
            agent_name=message.agent_name,
            text=message.text,
            html=markup.to_html(message.text),
            created_at=message.created_at,
            internal=bool(message.meta.get("internal")),
            attachments=[
                AttachmentOut.of(ref, prefix=CONSOLE_FILES) for ref in refs_of(message.meta)
            ],
            only_files=bool(message.meta.get(ONLY_FILES)),
        )


class ConversationOut(BaseModel):
    """New messages of the conversation on screen, and its current state and owner."""

    state: str
    owner: str | None
    messages: list[ConsoleMessageOut]


class TypingOut(BaseModel):
    """Whether the customer is typing right now."""

    typing: bool


def in_my_teams(agent: Agent, team: str | None) -> bool:
    """Whether a conversation of ``team`` is the business of the agent's teams."""
    return not agent.teams or team is None or team in agent.teams


def select_items(entries: list[InboxEntry], agent: Agent, chosen: str) -> list[InboxEntry]:
    """The entries the filter ``chosen`` shows the agent (unknown filters act as ``teams``)."""
    if chosen == ALL:
        return entries
    if chosen == MINE:
        return [e for e in entries if e.conversation.owner_agent_id == agent.id]
    if chosen == UNASSIGNED:
        return [
            e
            for e in entries
            if e.conversation.state is ConversationState.QUEUED
            and in_my_teams(agent, e.conversation.team)
        ]
    return [
        e
        for e in entries
        if e.conversation.owner_agent_id == agent.id or in_my_teams(agent, e.conversation.team)
    ]


class SharedDesk:
    """The open inbox and the agents, read once per desk change for every console stream.

    A change to the desk wakes every open console page of the process at once; each one
    reading the inbox itself would cost one query per page per change (50 pages: 50 reads
    of the same rows, and a customer's own stream waiting behind them). The first stream
    woken starts the read, the others await the same one. The desk's feed version is taken
    before the read, so a change during it makes the next caller read again.
    """

    def __init__(self, store: Store, feed: ChangeFeed) -> None:
        self._store = store
        self._feed = feed
        self._version: int | None = None
        self._read: asyncio.Task[tuple[list[InboxEntry], list[Agent]]] | None = None

    async def read(self) -> tuple[list[InboxEntry], list[Agent]]:
        """Every open conversation with people (no search), and every agent."""
        version = self._feed.version(DESK)
        if self._read is None or self._version != version:
            self._version = version
            self._read = asyncio.ensure_future(self._read_now())
        read = self._read
        try:
            # Shielded: one page closing must not cancel the read the others await.
            return await asyncio.shield(read)
        except Exception:
            if self._read is read:  # the next caller tries again rather than reuse a failure
                self._read = None
            raise

    async def _read_now(self) -> tuple[list[InboxEntry], list[Agent]]:
        return await self._store.inbox(), await self._store.list_agents()


async def read_inbox(
    service: "Service",
    agent: Agent,
    chosen: str,
    search: str,
    *,
    desk: SharedDesk | None = None,
) -> InboxOut:
    """The agent's inbox under the filter ``chosen`` (unknown: ``teams``) and a search.

    Args:
        desk: the process's shared read, used when there is no search.
    """
    store = service.store
    chosen = chosen if chosen in dict(FILTERS) else TEAMS
    all_teams = service.settings.console_read_all_teams
    if desk is not None and not search:
        everything, agents = await desk.read()
    else:
        everything, agents = await store.inbox(search=search or None), await store.list_agents()
    entries = [
        entry
        for entry in select_items(everything, agent, chosen)
        if may_read(agent, entry.conversation, all_teams=all_teams)
    ]
    names = {a.id: a.name for a in agents}

    return InboxOut(
        filter=chosen,
        items=[
            InboxItemOut(
                conversation_id=e.conversation.id,
                customer=customer_label(e.customer),
                team=team_name(service, e.conversation.team),
                state=e.conversation.state.value,
                owner=names.get(e.conversation.owner_agent_id or 0),
                mine=e.conversation.owner_agent_id == agent.id,
                for_me=e.conversation.owner_agent_id == agent.id
                or (
                    e.conversation.state is ConversationState.QUEUED
                    and in_my_teams(agent, e.conversation.team)
                ),
                waiting_since=e.handoff.requested_at,
                last_customer_text=e.last_customer_text,
                last_customer_seq=e.last_customer_seq,
            )
            for e in entries
        ],
    )


async def conversation_since(store: Store, conversation_id: UUID, after: int) -> ConversationOut:
    """The conversation's messages after ``after``, its state and (while it has one) owner."""
    conversation = await store.get_conversation(conversation_id)
    owner = None
    if conversation.owner_agent_id is not None:
        owner = (await store.get_agent(conversation.owner_agent_id)).name
    closed = conversation.closed_at is not None
    return ConversationOut(
        state="resolved" if closed else conversation.state.value,
        owner=owner if conversation.state is ConversationState.AGENT and not closed else None,
        messages=[
            ConsoleMessageOut.of(m)
            for m in await store.transcript(conversation_id, after_seq=after)
        ],
    )


def build_router(console: Console, *, customer_typing: TypingRegistry) -> APIRouter:
    """The inbox API and the console's event stream.

    Args:
        console: the console's service, templates and session checks.
        customer_typing: which customers are typing (the web chat writes it).
    """
    router = console.router()
    service = console.service
    store = service.store
    feed = service.feed
    shared_desk = SharedDesk(store, feed)
    CurrentAgent = Annotated[Agent, Depends(console.current_agent)]  # noqa: N806 (a type alias)
    FilterParam = Annotated[str, Query(max_length=16)]  # noqa: N806 (a type alias)
    SearchParam = Annotated[str, Query(max_length=200)]  # noqa: N806 (a type alias)

    @router.get("/api/inbox")
    async def api_inbox(
        agent: CurrentAgent, filter: FilterParam = TEAMS, q: SearchParam = ""
    ) -> InboxOut:
        return await read_inbox(service, agent, filter, q)

    @router.get("/api/events")
    async def events(
        agent: CurrentAgent,
        filter: FilterParam = TEAMS,
        q: SearchParam = "",
        conversation: UUID | None = None,
        after: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
    ) -> EventSourceResponse:
        customer_id = None
        if conversation is not None:
            customer_id = (await readable(service, agent, conversation)).customer_id
        stream = live(agent, filter, q, conversation, customer_id, after)
        return EventSourceResponse(stream, ping=15, send_timeout=10)

    async def live(
        agent: Agent,
        chosen: str,
        search: str,
        conversation_id: UUID | None,
        customer_id: int | None,
        after: int,
    ) -> AsyncIterator[ServerSentEvent]:
        yield ServerSentEvent(retry=2000, comment="connected")
        keys: list[object] = [DESK]
        if customer_id is not None:
            keys += [customer_id, typing_key(customer_id)]
        seen: dict[object, int | None] = dict.fromkeys(keys)
        shown_typing = False
        retry = StreamRetry("a console's event stream")
        while True:
            woken = [key for key, last in seen.items() if last != feed.version(key)]
            before, seen = seen, {key: feed.version(key) for key in keys}
            try:
                if DESK in woken:
                    inbox = await read_inbox(service, agent, chosen, search, desk=shared_desk)
                    yield ServerSentEvent(data=inbox.model_dump_json(), event="inbox")
                if (
                    conversation_id is not None
                    and customer_id is not None
                    and (DESK in woken or customer_id in woken)
                ):
                    update = await conversation_since(store, conversation_id, after)
                    if update.messages:
                        after = update.messages[-1].seq
                    yield ServerSentEvent(data=update.model_dump_json(), event="conversation")
            except StoreUnavailable as exc:
                # Read again after a pause, or sooner if the feed wakes the stream anew;
                # what was woken stays woken, so the next read covers it.
                await feed.wait_any(seen, retry.failed(exc))
                seen = before
                continue
            retry.succeeded()
            if conversation_id is not None and customer_id is not None:
                typing_now = customer_typing.who(customer_id) is not None
                if typing_now != shown_typing:
                    shown_typing = typing_now
                    yield ServerSentEvent(
                        data=TypingOut(typing=typing_now).model_dump_json(), event="typing"
                    )
            # Asleep until the feed wakes it; while "typing" shows, also when it runs out.
            until = customer_typing.remaining(customer_id) if customer_id is not None else None
            await feed.wait_any(seen, until)

    return router
