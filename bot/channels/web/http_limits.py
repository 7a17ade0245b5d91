"""Limits uvicorn does not set by itself: how long a client may take to send a request's
headers, and how large they may be.

uvicorn closes idle keep-alive connections, but a client that sends its headers a byte at a
time (slowloris) holds a connection for as long as it likes, and the C parser accepts header
blocks of many kilobytes. The protocol below is uvicorn's httptools protocol with a deadline
for each request's headers (the connection is closed when it passes) and a size limit (the
request is refused with a 400).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeadersTooLarge(Exception):
    """A request's header block passed the size limit (uvicorn answers 400)."""


def bounded_protocol(*, header_timeout_s: float, max_header_bytes: int) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with a header deadline and a header size limit.

    Args:
        header_timeout_s: seconds from a connection's start (or a request's first byte) to
            the end of the request's headers.
        max_header_bytes: the largest request line plus headers, in bytes.

    Returns:
        A protocol class to pass to ``uvicorn.Config(http=...)``.
    """

    class BoundedHttpToolsProtocol(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._arm()

        def on_url(self, url: bytes) -> None:
            self._count(len(url))
            super().on_url(url)

        def on_header(self, name: bytes, value: bytes) -> None:
            self._count(len(name) + len(value) + 4)
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def _count(self, size: int) -> None:
            self._header_bytes += size
            if self._header_bytes > max_header_bytes:
                raise HeadersTooLarge

        def _arm(self) -> None:
            self._disarm()
            self._header_bytes = 0
            self._deadline = self.loop.call_later(header_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.close()

    return BoundedHttpToolsProtocol
