"""A lean HTTP/1.1 client for the load generator: one keep-alive connection per customer.

The load generator shares two cores with the service it measures, so what it costs per
request decides how far it can push. httpx took about 2.5 ms of CPU per message at 60
messages a second and 7-8 ms when the service was saturated (its pool, shared by all the
customers, did more work the more requests waited), which made it the bottleneck near
120 messages a second. This client does only what the benchmark needs: a request with a
``Content-Length`` body on a connection of its own, and a response with a
``Content-Length`` body (what uvicorn sends for JSON). Like a browser tab of the chat page,
each customer keeps one connection; it opens a new one when the last was idle long
enough that the server may be closing it (uvicorn closes after 5 s), or was closed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

#: A connection idle this long is replaced before the next request: uvicorn closes idle
#: keep-alive connections after 5 s, and a request sent as it does so fails.
IDLE_S = 4.0
_MAX_HEADER_BYTES = 64 * 1024


class WireError(Exception):
    """The connection failed, or the response was not HTTP/1.1 this client understands."""


@dataclass(frozen=True, slots=True)
class Reply:
    """A response: the status code and the body."""

    status: int
    body: bytes


class Wire:
    """One keep-alive HTTP/1.1 connection to ``host:port``, used by one customer at a time.

    Args:
        host: the server's address.
        port: its port.
        timeout_s: the most a request may take, connecting included.
        idle_s: a connection idle this long is replaced before the next request.
    """

    def __init__(self, host: str, port: int, *, timeout_s: float, idle_s: float = IDLE_S) -> None:
        self._host = host
        self._port = port
        self._timeout_s = timeout_s
        self._idle_s = idle_s
        self._host_header = f"{host}:{port}".encode("ascii")
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def post(self, path: str, body: bytes, *, headers: dict[str, str]) -> Reply:
        """Send a POST with a JSON body and read the whole response.

        Raises:
            WireError: no complete response (the connection is dropped and the next
                request opens a new one).
        """
        head = [
            b"POST " + path.encode("ascii") + b" HTTP/1.1",
            b"Host: " + self._host_header,
            b"Content-Type: application/json",
            b"Content-Length: " + str(len(body)).encode("ascii"),
            *(f"{name}: {value}".encode("latin-1") for name, value in headers.items()),
        ]
        request = b"\r\n".join(head) + b"\r\n\r\n" + body
        try:
            async with asyncio.timeout(self._timeout_s):
                reader, writer = await self._connection()
                writer.write(request)
                return await self._response(reader)
        except (OSError, EOFError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            self.close()
            raise WireError(f"{type(exc).__name__}: {exc}") from exc
        except asyncio.LimitOverrunError as exc:
            self.close()
            raise WireError("response header too large") from exc

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        now = time.monotonic()
        if self._writer is not None and (
            now - self._last_used > self._idle_s or self._writer.is_closing()
        ):
            self.close()
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(
                self._host, self._port, limit=_MAX_HEADER_BYTES
            )
        return self._reader, self._writer

    async def _response(self, reader: asyncio.StreamReader) -> Reply:
        header = await reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        version, _, rest = lines[0].partition(" ")
        if not version.startswith("HTTP/1."):
            raise WireError(f"not an HTTP/1.x response: {lines[0]!r}")
        status = int(rest[:3])
        length: int | None = None
        keep_alive = True
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                raise WireError(f"unsupported transfer-encoding {value.strip()!r}")
            elif name == "connection" and value.strip().lower() == "close":
                keep_alive = False
        if length is None:
            raise WireError("response without Content-Length")
        body = await reader.readexactly(length)
        if keep_alive:
            self._last_used = time.monotonic()
        else:
            self.close()
        return Reply(status, body)

    def close(self) -> None:
        """Drop the connection (the next request opens a new one)."""
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
