"""The load generator's HTTP/1.1 client against a real socket server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from benchmarks.load.wire import Wire, WireError


@asynccontextmanager
async def serving(responses: list[bytes], connections: list[int]) -> AsyncIterator[int]:
    """A server answering each request with the next of ``responses``; ``connections``
    gets one entry per accepted connection (its number of requests, updated live)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        mine = len(connections) - 1
        try:
            while responses:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                await reader.readexactly(length)
                connections[mine] += 1
                writer.write(responses.pop(0))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    async with server:
        yield server.sockets[0].getsockname()[1]


def ok(body: bytes, *extra: bytes) -> bytes:
    head = [b"HTTP/1.1 200 OK", b"content-length: " + str(len(body)).encode(), *extra]
    return b"\r\n".join(head) + b"\r\n\r\n" + body


async def test_requests_of_one_customer_share_one_connection() -> None:
    connections: list[int] = []
    async with serving([ok(b'{"a":1}'), ok(b'{"b":2}')], connections) as port:
        client = Wire("127.0.0.1", port, timeout_s=5)
        first = await client.post("/x", b"{}", headers={"Authorization": "Bearer t"})
        second = await client.post("/x", b"{}", headers={})
        client.close()

    assert (first.status, first.body, second.body) == (200, b'{"a":1}', b'{"b":2}')
    assert connections == [2]


async def test_a_connection_the_server_closes_is_replaced() -> None:
    connections: list[int] = []
    responses = [ok(b"1", b"connection: close"), ok(b"2")]
    async with serving(responses, connections) as port:
        client = Wire("127.0.0.1", port, timeout_s=5)
        bodies = [(await client.post("/x", b"", headers={})).body for _ in range(2)]
        client.close()

    assert bodies == [b"1", b"2"]
    assert connections == [1, 1]


async def test_an_idle_connection_is_replaced_before_the_server_drops_it() -> None:
    connections: list[int] = []
    async with serving([ok(b"1"), ok(b"2")], connections) as port:
        client = Wire("127.0.0.1", port, timeout_s=5, idle_s=0.0)
        for _ in range(2):
            await client.post("/x", b"", headers={})
            await asyncio.sleep(0.01)
        client.close()

    assert connections == [1, 1]


@pytest.mark.parametrize(
    "response",
    [
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort",
        b"SSH-2.0-OpenSSH\r\n\r\n",
    ],
    ids=["chunked", "no length", "cut short", "not http"],
)
async def test_a_response_it_cannot_read_is_an_error(response: bytes) -> None:
    async with serving([response], []) as port:
        client = Wire("127.0.0.1", port, timeout_s=5)
        with pytest.raises(WireError):
            await client.post("/x", b"", headers={})
        client.close()


async def test_no_server_is_an_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()

    with pytest.raises(WireError):
        await Wire("127.0.0.1", port, timeout_s=5).post("/x", b"", headers={})
