"""The HTTP server's own limits over raw sockets: header time, header size, connections."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn

from bot.service.composition import Service
from bot.service.server import server_config
from bot.settings.model import Settings

HEADER_TIMEOUT_S = 0.5
MAX_HEADER_BYTES = 2048
MAX_CONNECTIONS = 3


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment served on a free port, with small limits."""
    return web_settings.model_copy(
        update={
            "port": 0,
            "log_level": "WARNING",
            "web_header_timeout_s": HEADER_TIMEOUT_S,
            "web_max_header_bytes": MAX_HEADER_BYTES,
            "web_max_connections": MAX_CONNECTIONS,
        }
    )


@pytest.fixture
async def port(service: Service) -> AsyncIterator[int]:
    """The service as `helpline run` configures uvicorn; the port it listens on."""
    config = server_config(service)
    config.lifespan = "off"
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    yield server.servers[0].sockets[0].getsockname()[1]
    server.should_exit = True
    await task


async def _send(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    try:
        async with asyncio.timeout(10):
            return await reader.read(200)
    finally:
        writer.close()


async def test_a_client_that_sends_its_headers_too_slowly_is_disconnected(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    async with asyncio.timeout(10):
        assert await reader.read() == b""  # the server closed the connection
    writer.close()


async def test_headers_over_the_size_limit_are_refused(port: int) -> None:
    header = b"X-Padding: " + b"a" * MAX_HEADER_BYTES + b"\r\n"
    response = await _send(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + header + b"\r\n")
    assert response.startswith(b"HTTP/1.1 400")


async def test_a_request_within_the_limits_is_served(port: int) -> None:
    response = await _send(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert response.startswith(b"HTTP/1.1 200")


async def test_beyond_the_connection_limit_requests_get_503(port: int) -> None:
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(MAX_CONNECTIONS)]
    try:
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        response = await _send(port, request)
    finally:
        for _, writer in held:
            writer.close()
    assert response.startswith(b"HTTP/1.1 503")
