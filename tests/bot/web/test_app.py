"""The application's own routes: ``/healthz`` says whether the database answers."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from bot.channels.web import create_app
from bot.service.composition import build_service
from bot.settings.model import Settings


class TcpRelay:
    """Relays TCP connections from a port of 127.0.0.1 to a server, until it is cut.

    Cutting closes the listening socket and every relayed connection, as a network failure
    between the service and its database would: open connections break and new ones are
    refused.
    """

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1 (then in :attr:`port`)."""
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Stop listening and break every relayed connection."""
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        for writer in list(self._writers):
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    writer.close()


@pytest.fixture
async def relay(postgres_schema_url: str) -> AsyncIterator[TcpRelay]:
    """A relay to the test PostgreSQL server, cut at the latest when the test ends."""
    url = make_url(postgres_schema_url)
    relay = TcpRelay(url.host or "127.0.0.1", url.port or 5432)
    await relay.start()
    yield relay
    await relay.cut()


@pytest.mark.postgres
async def test_healthz_answers_503_when_the_database_does_not_answer(
    web_settings: Settings, postgres_schema_url: str, relay: TcpRelay
) -> None:
    relayed = make_url(postgres_schema_url).set(host="127.0.0.1", port=relay.port)
    database_url = relayed.render_as_string(hide_password=False)
    service = await build_service(web_settings.model_copy(update={"database_url": database_url}))
    transport = httpx.ASGITransport(app=create_app(service))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://helpline.test") as http:
            before = (await http.get("/healthz")).status_code
            await relay.cut()
            response = await http.get("/healthz")
    finally:
        await service.close()
    assert (before, response.status_code, response.json()) == (
        200,
        503,
        {"status": "unavailable"},
    )


@pytest.mark.parametrize("path", ["/", "/healthz"])
async def test_uptime_monitors_asking_with_head_get_200(http: httpx.AsyncClient, path: str) -> None:
    response = await http.head(path)
    assert (response.status_code, response.content) == (200, b"")
