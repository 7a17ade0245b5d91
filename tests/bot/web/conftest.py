"""Fixtures for the web chat and console: the real service and its app, spoken to over HTTP.

The service runs on a real SQLite file and a small knowledge folder in English and Danish.
Its file starts as a copy of the desk that a first start with the same demo agents left
behind once per worker (migrated, and the demo agents created by the service's own seeding):
each test's service starts as a restarted one does. Passwords are hashed with argon2-cffi's
profile for tests (``password_hashing = "cheapest"``): with the deployment's profile each
login would cost a tenth of a second of Argon2, an eighth of the whole suite's time.
Clients reach its app in-process (``httpx.ASGITransport``): the same requests and
responses, without a server to start and stop for each test. Tests where the socket is the
point (event streams, per-address limits) are marked ``real_socket``, and tests that use
``base_url`` (a browser, a client of their own) have it too: all their clients then talk
to uvicorn on 127.0.0.1 (port 0) inside the test's event loop, one server for all.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser, async_playwright
from sqlalchemy.engine import make_url

from bot.channels.web import create_app
from bot.service.composition import Service, build_service, seed_demo_agents
from bot.settings.model import DemoAgent, Settings, load_settings
from handoff.passwords import PasswordHashing, hash_password
from handoff.store.sql import SqlStore

ARTICLES = {
    "network/vpn.en.md": """---
id: vpn-connect
title: Connecting to the VPN from home
lang: en
team: it-support
questions:
  - How do I connect to the VPN?
  - vpn doesn't work from home
  - can't reach the intranet from my laptop
---
Open **Secure Client**, type `vpn.example.org` and sign in with your usual password.
""",
    "network/vpn.da.md": """---
id: vpn-connect
title: Forbind til VPN hjemmefra
lang: da
team: it-support
questions:
  - Hvordan forbinder jeg til VPN?
  - VPN virker ikke hjemmefra
---
Åbn **Secure Client**, skriv `vpn.example.org` og log ind med din sædvanlige adgangskode.
""",
    "accounts/password.en.md": """---
id: password-reset
title: Resetting a forgotten password
lang: en
team: it-support
questions:
  - I forgot my password
  - how do I reset my password
---
Go to https://password.example.org and choose **Forgot password**.
""",
    "accounts/password.da.md": """---
id: password-reset
title: Nulstil en glemt adgangskode
lang: da
team: it-support
questions:
  - Jeg har glemt min adgangskode
  - hvordan nulstiller jeg min adgangskode
---
Gå til https://password.example.org og vælg **Glemt adgangskode**.
""",
}

#: The demo agents: both in the it-support team.
MARIA = ("mh-4711", "maria-secret", "Maria")
JONAS = ("jn-4712", "jonas-secret", "Jonas")

#: A question the VPN article answers, worded unlike any of its questions.
VPN_QUESTION = "I can't connect to the VPN from home"
VPN_ANSWER = "vpn.example.org"

_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def web_knowledge_dir(tmp_path: Path) -> Path:
    """A knowledge folder with two articles, each in English and Danish."""
    root = tmp_path / "knowledge"
    for name, text in ARTICLES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def web_settings(tmp_path: Path, web_knowledge_dir: Path) -> Settings:
    """Settings of a deployment with one team and two demo agents in it."""
    return load_settings(
        environ={},
        search_config=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/h.db",
        knowledge_dir=web_knowledge_dir,
        teams=({"id": "it-support", "name": "IT support"},),
        demo_agents=tuple(
            {"login": login, "password": password, "name": name, "teams": ("it-support",)}
            for login, password, name in (MARIA, JONAS)
        ),
        secret_key="test",
        # argon2-cffi's profile for tests: a login's hash check costs microseconds, not a
        # tenth of a second (the deployment's default is tested in tests/handoff).
        password_hashing="cheapest",
    )


async def _seed(url: str, settings: Settings) -> None:
    store = await SqlStore.open(url, migrate=True)
    try:
        await seed_demo_agents(settings, store)
    finally:
        await store.close()


@pytest.fixture(scope="session")
def seeded_desk(
    tmp_path_factory: pytest.TempPathFactory, sqlite_at_head: Path
) -> Callable[[Settings], None]:
    """Copies to a deployment's SQLite path that holds no database yet a file at head in
    which the service's own seeding created its demo agents (one file per set of demo
    agents, made on first use); leaves any other URL alone."""
    made: dict[tuple[tuple[DemoAgent, ...], PasswordHashing], Path] = {}

    def place(settings: Settings) -> None:
        url = make_url(settings.database_url)
        if url.get_backend_name() != "sqlite" or not url.database or Path(url.database).exists():
            return
        key = (settings.demo_agents, settings.password_hashing)
        if key not in made:
            path = tmp_path_factory.mktemp("desk") / "helpline.db"
            shutil.copyfile(sqlite_at_head, path)
            # A thread of its own: the test's event loop is running.
            with ThreadPoolExecutor(max_workers=1) as thread:
                thread.submit(asyncio.run, _seed(f"sqlite+aiosqlite:///{path}", settings)).result()
            made[key] = path
        shutil.copyfile(made[key], url.database)

    return place


@pytest.fixture
async def service(
    web_settings: Settings,
    at_head: Callable[[str], None],
    seeded_desk: Callable[[Settings], None],
) -> AsyncIterator[Service]:
    """The whole service, built by the composition root."""
    seeded_desk(web_settings)
    at_head(web_settings.database_url)
    built = await build_service(web_settings)
    yield built
    await built.close()


@pytest.fixture
async def base_url(service: Service) -> AsyncIterator[str]:
    """The app served by uvicorn on a free port of 127.0.0.1; stopped after the test."""
    config = uvicorn.Config(
        create_app(service),
        host="127.0.0.1",
        port=0,
        lifespan="off",
        ws="none",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raise whatever stopped it
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task


#: Where in-process clients send their requests; the app sees them come from 127.0.0.1.
IN_PROCESS_URL = "http://127.0.0.1"
#: Longer than any answer of the app takes, in-process, on a loaded machine.
IN_PROCESS_LIMIT_S = 30


class InProcess(httpx.ASGITransport):
    """The app in-process. A response is read whole before it is returned, so an event
    stream would never return: past the limit the test fails and says how to fix it."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            async with asyncio.timeout(IN_PROCESS_LIMIT_S):
                return await super().handle_async_request(request)
        except TimeoutError:
            raise AssertionError(
                f"{request.method} {request.url.path} did not finish in {IN_PROCESS_LIMIT_S} s"
                " in-process; an event stream needs @pytest.mark.real_socket"
            ) from None


#: The TLS context of the clients over the socket: plain HTTP never uses it, but httpx
#: builds one per client unless given one, and reading the CA bundle costs 20-30 ms.
_TLS = httpx.create_ssl_context()

#: Opens a new HTTP client of the app (keyword arguments go to ``httpx.AsyncClient``).
Connect = Callable[..., httpx.AsyncClient]


@pytest.fixture
def connect(request: pytest.FixtureRequest, service: Service) -> Connect:
    """Opens clients of one app: in-process, or over uvicorn's socket for ``real_socket`` tests
    and tests that use ``base_url`` (a browser, a client of their own): one server for all."""
    over_socket = request.node.get_closest_marker("real_socket") is not None
    if over_socket or "base_url" in request.fixturenames:
        served: str = request.getfixturevalue("base_url")

        def served_client(**options: Any) -> httpx.AsyncClient:
            return httpx.AsyncClient(
                **{"base_url": served, "timeout": 10, "verify": _TLS, **options}
            )

        return served_client
    # One app for every client of the test, as one server would be. A failing handler is
    # answered with a 500, as uvicorn would answer it, instead of raised into the test.
    transport = InProcess(app=create_app(service), raise_app_exceptions=False)

    def in_process(**options: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            **{"transport": transport, "base_url": IN_PROCESS_URL, "timeout": 10, **options}
        )

    return in_process


@pytest.fixture
async def http(connect: Connect) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client without cookies of its own yet (a customer, or a logged-out agent)."""
    async with connect() as client:
        yield client


class ChatCustomer:
    """A web-chat customer talking to the JSON API with their conversation token."""

    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        """The bearer header that identifies the customer."""
        return {"Authorization": f"Bearer {self.token}"}

    async def say(
        self, text: str, *, payload: str | None = None, client_id: str | None = None
    ) -> dict[str, Any]:
        """Send a message; return the JSON answer (the message and its replies)."""
        body = {"client_id": client_id or str(uuid.uuid4()), "text": text, "payload": payload}
        response = await self.client.post("/api/chat/messages", json=body, headers=self.headers)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    async def messages(self, *, after: int = 0) -> list[dict[str, Any]]:
        """Every message of the customer after a message id."""
        response = await self.client.get(
            "/api/chat/messages", params={"after": after}, headers=self.headers
        )
        response.raise_for_status()
        listed: list[dict[str, Any]] = response.json()
        return listed


@pytest.fixture
async def customer(http: httpx.AsyncClient) -> ChatCustomer:
    """A new web-chat customer with a fresh conversation token."""
    response = await http.post("/api/chat/session")
    response.raise_for_status()
    return ChatCustomer(http, response.json()["token"])


@pytest.fixture
async def queued(customer: ChatCustomer) -> ChatCustomer:
    """A customer whose question the bot answered and who then asked for a person."""
    await customer.say(VPN_QUESTION)
    await customer.say("can I talk to a person")
    return customer


def csrf_of(html: str) -> str:
    """The CSRF token in a console page's forms."""
    match = _CSRF.search(html)
    assert match is not None, "no CSRF field in the page"
    return match.group(1)


class ConsoleAgent:
    """An agent's browser-less session on the console: a cookie jar and the CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def login(self, login: str, password: str) -> httpx.Response:
        """Log in through the form, as a browser does; keep the new CSRF token."""
        form = await self.client.get("/console/login")
        response = await self.client.post(
            "/console/login",
            data={"login": login, "password": password, "csrf": csrf_of(form.text)},
        )
        if response.status_code == 303:
            self.csrf = csrf_of((await self.client.get("/console")).text)
        return response

    async def act(self, conversation_id: str, action: str, **fields: str) -> httpx.Response:
        """Post one of the conversation forms (claim, reply, release, resolve)."""
        return await self.client.post(
            f"/console/conversations/{conversation_id}/{action}",
            data={"csrf": self.csrf, **fields},
        )

    async def queue(self) -> dict[str, Any]:
        """The live queue JSON."""
        response = await self.client.get("/console/api/queue")
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


async def _agent(connect: Connect, login: str, password: str) -> AsyncIterator[ConsoleAgent]:
    async with connect() as client:
        agent = ConsoleAgent(client)
        response = await agent.login(login, password)
        assert response.status_code == 303, response.text
        yield agent


@pytest.fixture
async def maria(connect: Connect) -> AsyncIterator[ConsoleAgent]:
    """Maria (it-support), logged in to the console."""
    async for agent in _agent(connect, MARIA[0], MARIA[1]):
        yield agent


@pytest.fixture
async def jonas(connect: Connect) -> AsyncIterator[ConsoleAgent]:
    """Jonas (it-support), logged in to the console."""
    async for agent in _agent(connect, JONAS[0], JONAS[1]):
        yield agent


@pytest.fixture
async def logged_out(connect: Connect) -> AsyncIterator[ConsoleAgent]:
    """A console visitor who has not logged in (own cookie jar)."""
    async with connect() as client:
        yield ConsoleAgent(client)


#: Debian's chromium-headless-shell, driven by Playwright (``playwright install`` is never
#: needed): Chromium's Blink in its older headless mode, which is what Playwright itself runs
#: headless; it takes about two thirds of the full browser's CPU in these tests. It answers
#: "denied" for notifications before anyone asked: see :data:`NOT_ASKED_YET`.
CHROMIUM = Path("/usr/bin/chromium-headless-shell")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


#: An init script for an agent's browser that has not been asked about notifications yet,
#: as a new profile's has not (the console then offers its "Turn on desktop alerts" link).
NOT_ASKED_YET = """
Object.defineProperty(Notification, "permission", { get: () => "default" });
"""


README_SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the browser tests save their screenshots.

    The README's pictures are refreshed only on request (``make screenshots``, which sets
    ``HELPLINE_UPDATE_SCREENSHOTS=1``): a test run must not change the files of the
    checkout it runs in.
    """
    if os.environ.get("HELPLINE_UPDATE_SCREENSHOTS") == "1":
        folder = README_SCREENSHOTS
    else:
        folder = tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's headless Chromium; skipped when it is not installed (a failure in CI)."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install -y chromium-headless-shell)"
        if os.environ.get("HELPLINE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}; HELPLINE_REQUIRE_BROWSER=1")
        pytest.skip(reason)
    return CHROMIUM


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium(chromium_path: Path) -> AsyncIterator[Browser]:
    """One headless Chromium per test process, driven by Playwright.

    Starting Playwright's driver and the browser takes one to three seconds; each test
    gets a fresh browser context instead (its own cookies, storage and pages), which is
    what isolates one test's browser from another's.
    """
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


@pytest.fixture
async def chromium_browser(chromium: Browser) -> AsyncIterator[Browser]:
    """The process's Chromium, for a test that opens its own contexts; whatever context it
    leaves open is closed after it, so no page of one test lives on into the next."""
    yield chromium
    for context in chromium.contexts:
        await context.close()


SOFIE = ("sofie", "sofie-secret")


@pytest.fixture
async def sofie(service: Service, connect: Connect) -> AsyncIterator[ConsoleAgent]:
    """Sofie, an admin, logged in to the console."""
    await service.store.add_agent(
        login=SOFIE[0],
        name="Sofie",
        password_hash=hash_password(SOFIE[1], service.settings.password_hashing),
        is_admin=True,
    )
    async with connect() as client:
        agent = ConsoleAgent(client)
        response = await agent.login(*SOFIE)
        assert response.status_code == 303, response.text
        yield agent
