"""The web answers while the database is really cut (tests/outage.py): 503, saying so.

The console tells an agent the database is unavailable, never "not yours"; its JSON API
and the customer chat API answer 503 with Retry-After; once the database is back, the
same requests succeed. Open event streams stay open through the outage and deliver what
was said once the database is back.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.web.console.desk import NOT_YOURS
from bot.channels.web.unavailable import DETAIL, RETRY_AFTER_S
from bot.service.composition import Service
from bot.settings.model import Settings
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent
from tests.outage import Outage, cut_when_idle

pytestmark = pytest.mark.long


@pytest.fixture
def web_settings(web_settings: Settings, outage: Outage) -> Settings:
    """The web tests' deployment, on a database the test can cut off."""
    return web_settings.model_copy(update={"database_url": outage.url})


async def _claimed(queued: ChatCustomer, maria: ConsoleAgent) -> str:
    conversation_id: str = (await maria.queue())["queue"][0]["conversation_id"]
    claimed = await maria.act(conversation_id, "claim")
    assert claimed.status_code == 303
    return conversation_id


async def test_the_console_says_the_database_is_unavailable(
    queued: ChatCustomer, maria: ConsoleAgent, outage: Outage
) -> None:
    conversation_id = await _claimed(queued, maria)
    await cut_when_idle(outage)
    try:
        released = await maria.act(conversation_id, "release")
        page = await maria.client.get(f"/console/conversations/{conversation_id}")
        api = await maria.client.get("/console/api/queue")
    finally:
        outage.restore()
    assert (released.status_code, page.status_code, api.status_code) == (503, 503, 503)
    for answer in (released, page):
        assert "The database is unavailable" in answer.text
        assert NOT_YOURS not in answer.text
        assert answer.headers["retry-after"] == str(RETRY_AFTER_S)
    assert (api.json(), api.headers["retry-after"]) == ({"detail": DETAIL}, str(RETRY_AFTER_S))
    assert (await maria.act(conversation_id, "release")).status_code == 303


async def test_the_chat_api_answers_503_with_a_retry_hint(
    customer: ChatCustomer, outage: Outage
) -> None:
    body = {"client_id": str(uuid.uuid4()), "text": "is anyone there?"}
    await cut_when_idle(outage)
    try:
        refused = await customer.client.post(
            "/api/chat/messages", json=body, headers=customer.headers
        )
    finally:
        outage.restore()
    assert refused.status_code == 503
    assert (refused.json(), refused.headers["retry-after"]) == (
        {"detail": DETAIL},
        str(RETRY_AFTER_S),
    )
    sent = await customer.client.post("/api/chat/messages", json=body, headers=customer.headers)
    assert sent.status_code == 200
    assert sent.json()["messages"][0]["text"] == "is anyone there?"


async def test_a_new_chat_during_an_outage_is_503(http: httpx.AsyncClient, outage: Outage) -> None:
    await cut_when_idle(outage)
    try:
        refused = await http.post("/api/chat/session")
    finally:
        outage.restore()
    assert (refused.status_code, refused.headers["retry-after"]) == (503, str(RETRY_AFTER_S))


async def _data_events(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, object]]:
    """The (event, data) pairs of a Server-Sent Events stream, in order."""
    event = "message"
    async for line in lines:
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            yield event, json.loads(line.removeprefix("data: "))
        elif not line:
            event = "message"


class _Retrying(logging.Handler):
    """Set once a stream said it failed to read and will read again."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.heard = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "reads again in" in record.getMessage():
            self.heard.set()


async def _stream_meets_the_outage(outage: Outage, service: Service) -> None:
    """Cut the database, wake every stream (as a process that lost the database's
    notifications does) and wait until a stream has failed to read and waits to retry."""
    retrying = _Retrying()
    logger = logging.getLogger("bot.channels.web.unavailable")
    logger.addHandler(retrying)
    await cut_when_idle(outage)
    try:
        service.feed.wake_all()
        async with asyncio.timeout(10):
            await retrying.heard.wait()
    finally:
        outage.restore()
        logger.removeHandler(retrying)


@pytest.mark.real_socket  # an event stream held open over a real connection
async def test_a_customers_stream_stays_open_through_an_outage(
    customer: ChatCustomer,
    service: Service,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.channels.web.unavailable")
    seen = await customer.messages()
    ticket = await customer.client.post("/api/chat/events/ticket", headers=customer.headers)
    params = {"ticket": ticket.json()["ticket"], "after": seen[-1]["id"] if seen else 0}
    async with customer.client.stream("GET", "/api/chat/events", params=params) as stream:
        lines = stream.aiter_lines()
        async with asyncio.timeout(20):
            assert (await anext(lines)).startswith(":")
            await _stream_meets_the_outage(outage, service)
            sent = await customer.say("is anyone there?")
            pushed = []
            async for event, data in _data_events(lines):
                if event == "message":
                    pushed.append(data)
                if len(pushed) == len(sent["messages"]):
                    break
    assert pushed == sent["messages"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.real_socket  # an event stream held open over a real connection
async def test_a_consoles_stream_stays_open_through_an_outage(
    queued: ChatCustomer,
    maria: ConsoleAgent,
    service: Service,
    outage: Outage,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.channels.web.unavailable")
    conversation_id = await _claimed(queued, maria)
    params = {"conversation": conversation_id, "filter": "all"}
    async with maria.client.stream("GET", "/console/api/events", params=params) as stream:
        lines = _data_events(stream.aiter_lines())
        async with asyncio.timeout(20):
            # The page's first view: the inbox and the conversation so far.
            assert [event for event, _ in [await anext(lines), await anext(lines)]] == [
                "inbox",
                "conversation",
            ]
            await _stream_meets_the_outage(outage, service)
            await queued.say("are you still there?")
            texts: list[str] = []
            async for event, data in lines:
                if event == "conversation":
                    assert isinstance(data, dict)
                    texts += [message["text"] for message in data["messages"]]
                if "are you still there?" in texts:
                    break
    assert texts == ["are you still there?"]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
