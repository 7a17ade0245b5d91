"""``GET /metrics``: the service's metrics in the Prometheus text format.

Who may read them: with the ``metrics_token`` setting, whoever sends
``Authorization: Bearer <token>``; without it, only clients on the loopback interface
(a Prometheus on the same machine, or an SSH tunnel). The numbers carry no customer
data, but queue lengths and traffic are the business's own affair.
"""

from __future__ import annotations

import hmac
from ipaddress import ip_address
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request, Response

from bot.channels.web.client_address import client_address
from bot.service.metrics import CONTENT_TYPE

if TYPE_CHECKING:
    from bot.service.composition import Service


def _loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False  # a name, not an address: not provably local


def may_read(request: Request, token: str | None) -> bool:
    """Whether the request may read the metrics (see the module docstring)."""
    if token is None:
        return _loopback(client_address(request))
    sent = request.headers.get("authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def build_router(service: Service) -> APIRouter:
    """The ``/metrics`` route of one service (404 when the service keeps no metrics)."""
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if service.metrics is None:
            return Response(status_code=404)
        if not may_read(request, service.settings.metrics_token):
            return Response(
                "metrics need a bearer token or a loopback client\n",
                status_code=401 if service.settings.metrics_token else 403,
                media_type="text/plain",
                headers={"WWW-Authenticate": "Bearer"} if service.settings.metrics_token else {},
            )
        body = await service.metrics.exposition()
        return Response(body, media_type=CONTENT_TYPE)

    return router
