"""Whose address a request has: forwarding headers count only from trusted proxies."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import bot
from bot.channels.web import create_app
from bot.channels.web.client_address import client_address, trust_proxies
from bot.service.composition import Service, build_service
from bot.service.server import server_config
from bot.settings.model import Settings

CLIENT = "203.0.113.7"
OTHER = "198.51.100.20"


def _echo_app(trusted: tuple[str, ...]) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"address": client_address(request), "scheme": request.url.scheme})

    app = Starlette(routes=[Route("/", echo)])
    trust_proxies(app, trusted)
    return app


async def _seen(trusted: tuple[str, ...], peer: str, headers: dict[str, str]) -> dict[str, str]:
    transport = httpx.ASGITransport(app=_echo_app(trusted), client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://helpline.test") as http:
        answer: dict[str, str] = (await http.get("/", headers=headers)).json()
    return answer


FORWARDED = {"X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(
    ("trusted", "peer", "headers", "address", "scheme"),
    [
        # No trusted proxy (the default): the headers are ignored, even from 127.0.0.1.
        ((), "127.0.0.1", FORWARDED, "127.0.0.1", "http"),
        ((), OTHER, {"X-Forwarded-For": "127.0.0.1"}, OTHER, "http"),
        # A trusted proxy names the client and the scheme it used.
        (("127.0.0.1",), "127.0.0.1", FORWARDED, CLIENT, "https"),
        (("10.0.0.0/24",), "10.0.0.9", FORWARDED, CLIENT, "https"),
        (("::1",), "::1", FORWARDED, CLIENT, "https"),
        # A client that is not the proxy cannot borrow the proxy's trust.
        (("10.0.0.5",), OTHER, {"X-Forwarded-For": "127.0.0.1"}, OTHER, "http"),
        (("10.0.0.5",), OTHER, FORWARDED, OTHER, "http"),
        # What a client wrote in front of the address the proxy appended does not count.
        (("10.0.0.5",), "10.0.0.5", {"X-Forwarded-For": f"127.0.0.1, {CLIENT}"}, CLIENT, "http"),
        # Two trusted proxies in a row: the first address neither of them is.
        (
            ("10.0.0.5", "10.0.1.0/24"),
            "10.0.0.5",
            {"X-Forwarded-For": f"{OTHER}, {CLIENT}, 10.0.1.7"},
            CLIENT,
            "http",
        ),
        # A trusted proxy that sends no header: the proxy itself is the client.
        (("10.0.0.5",), "10.0.0.5", {}, "10.0.0.5", "http"),
    ],
)
async def test_the_client_address_believes_only_trusted_proxies(
    trusted: tuple[str, ...], peer: str, headers: dict[str, str], address: str, scheme: str
) -> None:
    assert await _seen(trusted, peer, headers) == {"address": address, "scheme": scheme}


@pytest.fixture
async def proxied(web_settings: Settings) -> AsyncIterator[Service]:
    """A service behind a reverse proxy on the same machine."""
    built = await build_service(web_settings.model_copy(update={"trusted_proxies": ("127.0.0.1",)}))
    yield built
    await built.close()


def _client(service: Service, peer: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(service), client=(peer, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://helpline.test")


async def test_a_remote_client_cannot_pass_for_local_by_a_header(service: Service) -> None:
    async with _client(service, CLIENT) as remote:
        response = await remote.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})
    assert response.status_code == 403


async def test_behind_a_trusted_proxy_the_forwarded_client_counts(proxied: Service) -> None:
    async with _client(proxied, "127.0.0.1") as proxy:
        response = await proxy.get("/metrics", headers={"X-Forwarded-For": CLIENT})
    assert response.status_code == 403


async def test_uvicorn_itself_believes_no_forwarding_header(web_settings: Settings) -> None:
    # uvicorn's default would take this loopback request for one from CLIENT.
    service = await build_service(web_settings.model_copy(update={"port": 0}))
    server = uvicorn.Server(server_config(service))
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            response = await http.get("/metrics", headers={"X-Forwarded-For": CLIENT})
    finally:
        server.should_exit = True
        await task
        await service.close()
    assert response.status_code == 200


#: Code that reads a connection's peer or a forwarding header (not prose that names one).
PEER_READ = r"""\.client\b|b?["']x-forwarded"""


def test_no_other_module_reads_the_peer_or_forwarding_headers() -> None:
    package = Path(bot.__file__).parent
    readers = sorted(
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if path.name != "client_address.py"
        and re.search(PEER_READ, path.read_text(encoding="utf-8"), re.IGNORECASE)
    )
    assert readers == []
