"""What one web chat client may take, over real HTTP: new conversations per address, streams
per conversation and per address, and tickets that open one stream; tokens stored as digests.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest

from bot.channels.web.chat_limits import TicketBook, TicketRefused
from bot.service.composition import Service
from bot.settings.model import Settings
from handoff.bearer import token_digest
from tests.bot.clocks import HandClock
from tests.bot.web.conftest import VPN_QUESTION, ChatCustomer

SESSIONS_PER_ADDRESS = 4
STREAMS_PER_CUSTOMER = 2
STREAMS_PER_ADDRESS = 3


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment with small limits, quick to reach."""
    return web_settings.model_copy(
        update={
            "web_sessions_per_address": SESSIONS_PER_ADDRESS,
            "web_streams_per_customer": STREAMS_PER_CUSTOMER,
            "web_streams_per_address": STREAMS_PER_ADDRESS,
        }
    )


async def _new_customer(http: httpx.AsyncClient) -> ChatCustomer:
    response = await http.post("/api/chat/session")
    assert response.status_code == 201
    return ChatCustomer(http, response.json()["token"])


async def _ticket(customer: ChatCustomer) -> str:
    response = await customer.client.post("/api/chat/events/ticket", headers=customer.headers)
    ticket: str = response.json()["ticket"]
    return ticket


@asynccontextmanager
async def _stream(http: httpx.AsyncClient, ticket: str) -> AsyncIterator[int]:
    """Open the event stream; yields its status (the stream is read up to its first line)."""
    async with http.stream("GET", "/api/chat/events", params={"ticket": ticket}) as response:
        # The line iterator is kept until the end: dropping it would close the stream.
        lines = response.aiter_lines()
        if response.status_code == 200:
            await anext(lines)
        yield response.status_code


async def test_new_conversations_are_limited_per_address(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        codes = [(await http.post("/api/chat/session")).status_code for _ in range(10)]
    elsewhere = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=base_url, transport=elsewhere) as other:
        other_code = (await other.post("/api/chat/session")).status_code
    assert codes == [201] * SESSIONS_PER_ADDRESS + [429] * (10 - SESSIONS_PER_ADDRESS)
    assert other_code == 201


@pytest.mark.real_socket  # streams held open on real connections
async def test_a_ticket_opens_one_stream_only(http: httpx.AsyncClient) -> None:
    customer = await _new_customer(http)
    ticket = await _ticket(customer)
    async with _stream(http, ticket) as first, _stream(http, ticket) as second:
        assert (first, second) == (200, 401)
    async with _stream(http, ticket) as after_it_closed:
        assert after_it_closed == 401


@pytest.mark.real_socket  # streams held open on real connections
async def test_streams_are_limited_per_conversation_and_a_closed_one_frees_its_place(
    http: httpx.AsyncClient,
) -> None:
    customer = await _new_customer(http)
    async with AsyncExitStack() as streams:
        codes = [
            await streams.enter_async_context(_stream(http, await _ticket(customer)))
            for _ in range(STREAMS_PER_CUSTOMER + 1)
        ]
    assert codes == [200] * STREAMS_PER_CUSTOMER + [429]
    # The closed streams give their places back once the server notices; wait for that.
    async with asyncio.timeout(10):
        while True:
            async with _stream(http, await _ticket(customer)) as again:
                if again == 200:
                    break


@pytest.mark.real_socket  # streams held open on real connections
async def test_streams_are_limited_per_address(http: httpx.AsyncClient) -> None:
    customers = [await _new_customer(http) for _ in range(STREAMS_PER_ADDRESS)]
    async with AsyncExitStack() as streams:
        codes = [
            await streams.enter_async_context(_stream(http, await _ticket(customer)))
            for customer in [*customers, customers[0]]
        ]
    assert codes == [200] * STREAMS_PER_ADDRESS + [429]


def test_a_ticket_is_not_redeemed_twice_and_old_redemptions_are_forgotten() -> None:
    clock = HandClock()
    book = TicketBook("key", max_age_s=60, clock=clock)
    tickets = [book.issue(7) for _ in range(100)]
    assert [book.redeem(ticket) for ticket in tickets] == [7] * 100
    with pytest.raises(TicketRefused):
        book.redeem(tickets[0])
    clock.now += 61
    book.redeem(book.issue(8))
    assert len(book) == 1


async def test_the_store_keeps_a_digest_of_the_token_not_the_token(
    service: Service, http: httpx.AsyncClient
) -> None:
    customer = await _new_customer(http)
    await customer.say(VPN_QUESTION)
    store = service.store
    assert await store.find_customer(channel="web", external_id=customer.token) is None
    found = await store.find_customer(channel="web", external_id=token_digest(customer.token))
    assert found is not None
    exported = repr(await store.export_customer(found.id))
    assert customer.token not in exported
