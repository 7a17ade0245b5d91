"""Who sent a request: the one place that decides a client's address.

Every limit keyed on an address (the console's failed-login limit, the per-address limits)
and every log line that names a client asks :func:`client_address`; nothing else reads
``request.client`` or a forwarding header.

Behind a reverse proxy each connection comes from the proxy, which names the real client in
``X-Forwarded-For`` (and the scheme the client used in ``X-Forwarded-Proto``). Anyone can
send those headers, so they count only on connections from a proxy listed in the
``trusted_proxies`` setting; by default none is, and the address is the connection's own.
The header is read from the right, skipping trusted proxies, so a client cannot put a
made-up address in front of the ones the proxies appended (uvicorn's
``ProxyHeadersMiddleware``, used here with our list instead of its 127.0.0.1 default).
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

#: The address of a connection whose peer is unknown (a Unix socket, some test transports).
UNKNOWN = "unknown"


def client_address(connection: HTTPConnection) -> str:
    """The address of the client that sent ``connection`` (see the module docstring).

    Args:
        connection: a request or websocket, after :func:`trust_proxies` has run.

    Returns:
        An IP address as text, or :data:`UNKNOWN`.
    """
    client = connection.client
    return client.host if client is not None and client.host else UNKNOWN


def trust_proxies(app: Starlette, trusted_proxies: tuple[str, ...]) -> None:
    """Make ``app`` believe forwarding headers on connections from ``trusted_proxies`` only.

    Call it after every other middleware is added: it must run first, so that everything
    behind it, limits included, sees the client's address.

    Args:
        app: the web application.
        trusted_proxies: IP addresses or networks (the settings check their form); empty:
            no proxy is trusted and the headers are ignored.
    """
    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(trusted_proxies))
