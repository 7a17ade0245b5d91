"""Two Helpline processes on one PostgreSQL database behave as one deployment.

Two real ``helpline run`` processes (different ports, one PostgreSQL schema, one secret
key, one Telegram token in polling mode) serve web customers whose messages alternate
between the processes. Then:

* every conversation's transcript is in order: the customer's messages as sent, each
  reply after its message and before the next one;
* two agents logged into different processes claim the same queued conversation at the
  same moment, and exactly one wins;
* a notice starting a second ahead reaches each queued customer exactly once and is
  announced to the Telegram notice chat exactly once (its timer fired once, in one process).
  That nothing fires it again is shown by a later notice: ticks fire the most overdue
  timer first and one process at a time, so once the later notice has reached everyone,
  a tick has run that would have fired the first one again had it still been due;
* exactly one process polls Telegram. The fake Bot API is served under one path prefix
  per process (``/p0/bot<token>/...``, ``/p1/bot<token>/...``, set through
  ``HELPLINE_TELEGRAM_API_URL``), so each ``getUpdates`` says which process sent it,
  without mapping sockets to processes. When the polling process is killed, the other
  one takes over and answers what arrives next.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from benchmarks.load.harness import (
    ServiceProcess,
    WebCustomer,
    new_customer,
    new_message,
    post,
    start_service,
    write_config,
)
from bot.desk.notice_board import post_notice
from handoff.notices import Audience
from handoff.passwords import hash_password
from handoff.store.sql import SqlStore
from tests.bot.telegram.fake_bot_api import FakeBotApi, serving

pytestmark = [pytest.mark.postgres, pytest.mark.long]

PROCESSES = 2
CUSTOMERS = 6
QUESTIONS = (
    "How do I connect to the VPN?",
    "I forgot my password",
    "can I talk to a person please",
    "my laptop will not start",
)
TELEGRAM_CHATS = (701, 702, 703)
NOTICE_CHAT = -100_777
NOTICE_TEXT = "Scale-out test: the mail server restarts tonight."
LATER_TEXT = "Scale-out test: the mail server is back."
PASSWORD = "correct horse battery staple"
AGENTS = ("ana", "ben")
TEAMS = ("it-support", "accounts", "security")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Polls:
    """Which process sent each ``getUpdates``, and the most ever in flight at once."""

    by: list[str] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0


class ByProcess:
    """ASGI middleware: strips the ``/p<N>`` prefix and records who polls."""

    def __init__(self, app: ASGIApp, *, polls: Polls) -> None:
        self._app = app
        self._polls = polls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        tag, _, rest = str(scope["path"]).lstrip("/").partition("/")
        path = f"/{rest}"
        scope = {**scope, "path": path, "raw_path": path.encode()}
        if not path.endswith("/getUpdates"):
            await self._app(scope, receive, send)
            return
        polls = self._polls
        polls.by.append(tag)
        polls.in_flight += 1
        polls.most_in_flight = max(polls.most_in_flight, polls.in_flight)
        try:
            await self._app(scope, receive, send)
        finally:
            polls.in_flight -= 1


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeBotApi, Polls]]:
    polls = Polls()
    bot_api = FakeBotApi()
    bot_api.app.add_middleware(ByProcess, polls=polls)
    async with serving(bot_api) as served:
        yield served, polls
    assert served.unknown == []


async def _seed_agents(database_url: str) -> None:
    store = await SqlStore.open(database_url, migrate=True)
    try:
        for login in AGENTS:
            await store.add_agent(
                login=login,
                name=login.title(),
                password_hash=hash_password(PASSWORD),
                teams=TEAMS,
                languages=("en",),
            )
    finally:
        await store.close()


async def _start(fake: FakeBotApi, database_url: str, tmp_path: Path) -> list[ServiceProcess]:
    config = write_config(tmp_path, flood_messages=100_000)
    root = fake.base_url.removesuffix("/bot")
    starts = [
        start_service(
            database_url=database_url,
            workdir=tmp_path,
            config=config,
            log_name=f"p{number}.log",
            extra_env={
                "HELPLINE_TELEGRAM_TOKEN": fake.token,
                "HELPLINE_TELEGRAM_API_URL": f"{root}/p{number}/bot",
                "HELPLINE_TELEGRAM_NOTICE_CHAT_ID": str(NOTICE_CHAT),
                "HELPLINE_TIMER_TICK_SECONDS": "1",
            },
        )
        for number in range(PROCESSES)
    ]
    return list(await asyncio.gather(*starts))


async def _chat(clients: list[httpx.AsyncClient], number: int) -> WebCustomer:
    """One customer; message k goes to process (number + k) % 2, each awaited."""
    customer = await new_customer(clients[number % PROCESSES])
    for turn, text in enumerate(QUESTIONS):
        await post(clients[(number + turn) % PROCESSES], customer, new_message(customer, text))
    return customer


async def _transcript(client: httpx.AsyncClient, customer: WebCustomer) -> list[dict[str, object]]:
    response = await client.get("/api/chat/messages", headers=customer.headers)
    response.raise_for_status()
    messages: list[dict[str, object]] = response.json()
    return messages


def _order_problems(customer: WebCustomer, transcript: list[dict[str, object]]) -> list[str]:
    ids = [m["id"] for m in transcript]
    mine = [n for n, m in enumerate(transcript) if m["sender"] == "customer"]
    problems = []
    if [transcript[n]["text"] for n in mine] != [s.text for s in customer.sent]:
        problems.append("customer messages out of order")
    for k, sent in enumerate(customer.sent):
        end = mine[k + 1] if k + 1 < len(mine) else len(transcript)
        between = ids[mine[k] + 1 : end]
        if any(reply not in between for reply in sent.reply_ids):
            problems.append(f"a reply to message {k} is not right after it")
    return problems


def _notices(transcript: list[dict[str, object]], text: str = NOTICE_TEXT) -> int:
    return sum(text in str(m["text"]) for m in transcript)


async def _post_notice(database_url: str, text: str, *, ahead_s: float) -> None:
    """A notice for everyone, starting ``ahead_s`` from now, for an hour."""
    store = await SqlStore.open(database_url, migrate=False)
    try:
        starts_at = datetime.now(UTC) + timedelta(seconds=ahead_s)
        await post_notice(
            store,
            texts={"en": text},
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            audience=Audience(),
            actor="test",
        )
    finally:
        await store.close()


async def _until_every_customer_has(
    client: httpx.AsyncClient, customers: list[WebCustomer], text: str
) -> None:
    """Wait until the notice ``text`` is in every customer's transcript."""
    async with asyncio.timeout(20):
        while True:
            if all([_notices(await _transcript(client, c), text) for c in customers]):
                return
            await asyncio.sleep(0.2)  # another process delivers it: ask its API again


async def _login(client: httpx.AsyncClient, login: str) -> str:
    """Log in through the form; returns the session's CSRF token."""
    form = await client.get("/console/login")
    match = _CSRF.search(form.text)
    assert match is not None
    data = {"login": login, "password": PASSWORD, "csrf": match.group(1)}
    assert (await client.post("/console/login", data=data)).status_code == 303
    match = _CSRF.search((await client.get("/console")).text)
    assert match is not None
    return match.group(1)


async def test_two_processes_serve_one_deployment(
    fake: tuple[FakeBotApi, Polls], postgres_schema_url: str, tmp_path: Path
) -> None:
    bot_api, polls = fake
    await _seed_agents(postgres_schema_url)
    services = await _start(bot_api, postgres_schema_url, tmp_path)
    web = [httpx.AsyncClient(base_url=s.base_url, timeout=10) for s in services]
    try:
        # Telegram customers write while web customers chat through both processes.
        update_ids = [bot_api.push_text(chat, QUESTIONS[0]) for chat in TELEGRAM_CHATS]
        async with asyncio.timeout(30):
            customers = await asyncio.gather(*(_chat(web, n) for n in range(CUSTOMERS)))
            await bot_api.confirmed(update_ids[-1])
        transcripts = [await _transcript(web[n % 2], c) for n, c in enumerate(customers)]
        assert [_order_problems(c, t) for c, t in zip(customers, transcripts, strict=True)] == [
            []
        ] * CUSTOMERS

        # A notice a second ahead: its start timer fires once, in one process.
        await _post_notice(postgres_schema_url, NOTICE_TEXT, ahead_s=1)
        await _until_every_customer_has(web[0], customers, NOTICE_TEXT)
        # A later notice, due at once: when it has reached everyone, a later tick has run.
        await _post_notice(postgres_schema_url, LATER_TEXT, ahead_s=0)
        await _until_every_customer_has(web[1], customers, LATER_TEXT)
        counts = [_notices(await _transcript(web[1], c)) for c in customers]
        assert counts == [1] * CUSTOMERS
        announced = [s for s in bot_api.sent_to(NOTICE_CHAT) if NOTICE_TEXT in s.text]
        assert len(announced) == 1

        # Two agents on different processes claim one queued conversation at once.
        csrf = [await _login(client, login) for client, login in zip(web, AGENTS, strict=True)]
        queue = (await web[0].get("/console/api/queue")).json()["queue"]
        assert len(queue) == CUSTOMERS
        target = queue[0]["conversation_id"]
        claims = await asyncio.gather(
            *(
                client.post(f"/console/conversations/{target}/claim", data={"csrf": token})
                for client, token in zip(web, csrf, strict=True)
            )
        )
        assert sorted(r.status_code for r in claims) == [303, 409]
        # One signed-cookie session works on every process: no sticky sessions needed.
        async with httpx.AsyncClient(base_url=services[1].base_url, cookies=web[0].cookies) as ana:
            assert (await ana.get("/console/api/queue")).status_code == 200

        # Exactly one process polled Telegram, one long poll at a time; each chat answered.
        assert [len(bot_api.sent_to(chat)) for chat in TELEGRAM_CHATS] == [1, 1, 1]
        assert len(set(polls.by)) == 1
        assert polls.most_in_flight == 1
        leader = int(polls.by[0].removeprefix("p"))
        polled_before = len(polls.by)

        # The poller dies: the other process takes the lead and answers the next update.
        await services[leader].kill()
        late = bot_api.push_text(TELEGRAM_CHATS[0], QUESTIONS[3])
        async with asyncio.timeout(20):
            await bot_api.confirmed(late)
        assert set(polls.by[polled_before:]) == {f"p{1 - leader}"}
        assert len(bot_api.sent_to(TELEGRAM_CHATS[0])) == 2
    finally:
        for client in web:
            await client.aclose()
        await asyncio.gather(*(s.stop() for s in services))
