"""The web's security promises, over HTTP: who may read and write what, CSRF, login
throttling, size and flood limits, and the headers that keep pages from running or being
framed where they should not."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.channels.web.login_throttle import DEVICE_COOKIE
from bot.service.composition import Service
from bot.settings.model import Settings
from tests.bot.web.conftest import (
    JONAS,
    MARIA,
    VPN_QUESTION,
    ChatCustomer,
    Connect,
    ConsoleAgent,
)

pytestmark = pytest.mark.long

EMBEDDING_SITE = "https://intranet.example.org"
FLOOD_MESSAGES = 3
MAX_FAILURES = 2


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment with small limits (quick to reach) and one embedding site."""
    return web_settings.model_copy(
        update={
            "web_embed_origins": (EMBEDDING_SITE,),
            "web_flood_messages": FLOOD_MESSAGES,
            "web_flood_window_s": 60.0,
            "login_max_failures": MAX_FAILURES,
        }
    )


async def _new_customer(http: httpx.AsyncClient, *, lang: str = "en") -> ChatCustomer:
    response = await http.post("/api/chat/session", params={"lang": lang})
    return ChatCustomer(http, response.json()["token"])


# One customer's token opens only their own conversation ---------------------------------


async def test_a_token_does_not_list_another_customers_messages(
    http: httpx.AsyncClient, customer: ChatCustomer
) -> None:
    await customer.say(VPN_QUESTION)
    other = await _new_customer(http)
    assert await other.messages() == []


async def test_a_token_writes_only_into_its_own_conversation(
    http: httpx.AsyncClient, customer: ChatCustomer
) -> None:
    await customer.say(VPN_QUESTION)
    before = await customer.messages()
    other = await _new_customer(http)
    await other.say("I forgot my password")
    assert await customer.messages() == before


@pytest.mark.real_socket  # an event stream over a real connection
async def test_a_ticket_streams_only_its_own_customers_messages(
    http: httpx.AsyncClient, customer: ChatCustomer
) -> None:
    other = await _new_customer(http)
    await customer.say(VPN_QUESTION)
    mine = await other.say("I forgot my password")
    ticket = await http.post("/api/chat/events/ticket", headers=other.headers)
    params = {"ticket": ticket.json()["ticket"]}
    async with http.stream("GET", "/api/chat/events", params=params) as stream:
        ids = []
        async for line in stream.aiter_lines():
            if line.startswith("id: "):
                ids.append(int(line.removeprefix("id: ")))
            if len(ids) == len(mine["messages"]):
                break
    assert ids == [m["id"] for m in mine["messages"]]


async def test_a_conversation_token_is_not_a_stream_ticket(customer: ChatCustomer) -> None:
    response = await customer.client.get("/api/chat/events", params={"ticket": customer.token})
    assert response.status_code == 401


# The console needs a logged-in agent -----------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/console", f"/console/conversations/{uuid.uuid4()}"], ids=["queue", "conversation"]
)
async def test_console_pages_send_strangers_to_the_login(
    logged_out: ConsoleAgent, path: str
) -> None:
    response = await logged_out.client.get(path)
    assert (response.status_code, response.headers["location"]) == (303, "/console/login")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/console/api/queue"),
        ("GET", f"/console/api/conversations/{uuid.uuid4()}/messages"),
        ("POST", f"/console/api/conversations/{uuid.uuid4()}/typing"),
    ],
    ids=["queue", "messages", "typing"],
)
async def test_console_api_answers_strangers_401(
    logged_out: ConsoleAgent, method: str, path: str
) -> None:
    response = await logged_out.client.request(method, path)
    assert response.status_code == 401


@pytest.mark.parametrize("action", ["claim", "reply", "release", "resolve"])
async def test_console_actions_need_a_login(
    logged_out: ConsoleAgent, queued: ChatCustomer, maria: ConsoleAgent, action: str
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    response = await logged_out.act(conversation_id, action, text="hello")
    assert (response.status_code, response.headers["location"]) == (303, "/console/login")


#: Every admin route, with a form that would change something if it were accepted. ``{me}``
#: is the agent trying it (the change would make them an admin), ``{other}`` another agent,
#: ``{notice}`` an active notice.
ADMIN_ROUTES = [
    ("GET", "/console/admin/notices", {}),
    ("POST", "/console/admin/notices", {"text_en": "Closed today", "ends": "2h"}),
    ("POST", "/console/admin/notices/{notice}/end", {}),
    ("GET", "/console/admin/agents", {}),
    (
        "POST",
        "/console/admin/agents",
        {"login": "ole", "name": "Ole", "password": "ole-secret", "capacity": "2"},
    ),
    (
        "POST",
        "/console/admin/agents/{me}",
        {"teams": "it-support", "capacity": "9", "is_admin": "yes", "telegram_user": "4242"},
    ),
    ("POST", "/console/admin/agents/{other}/active", {"active": "no"}),
]
ADMIN_ROUTE_IDS = [
    "list notices",
    "post notice",
    "end notice",
    "list agents",
    "add agent",
    "change agent",
    "deactivate agent",
]


async def _admin_path(service: Service, path: str) -> str:
    """``path`` with Maria as ``{me}``, Jonas as ``{other}`` and a fresh active notice."""
    ids = {agent.login: agent.id for agent in await service.store.list_agents()}
    now = datetime.now(UTC)
    notice = await service.store.post_notice(
        texts={"en": "The VPN is down"}, starts_at=now, ends_at=now + timedelta(hours=1)
    )
    return path.format(me=ids[MARIA[0]], other=ids[JONAS[0]], notice=notice.id)


async def _desk_state(service: Service) -> tuple[object, ...]:
    """What an admin route could change: the agents, their Telegram users and the notices."""
    store = service.store
    return (
        await store.list_agents(),
        await store.telegram_user_ids(),
        await store.list_notices(),
    )


@pytest.mark.parametrize(("method", "path", "fields"), ADMIN_ROUTES, ids=ADMIN_ROUTE_IDS)
async def test_admin_routes_refuse_an_agent_who_is_not_an_admin(
    maria: ConsoleAgent, service: Service, method: str, path: str, fields: dict[str, str]
) -> None:
    url = await _admin_path(service, path)
    before = await _desk_state(service)
    response = await maria.client.request(method, url, data={"csrf": maria.csrf, **fields})
    assert (response.status_code, response.json()["detail"].startswith("only admins")) == (
        403,
        True,
    )
    assert await _desk_state(service) == before


@pytest.mark.parametrize(("method", "path", "fields"), ADMIN_ROUTES, ids=ADMIN_ROUTE_IDS)
async def test_admin_routes_send_strangers_to_the_login(
    logged_out: ConsoleAgent, service: Service, method: str, path: str, fields: dict[str, str]
) -> None:
    url = await _admin_path(service, path)
    before = await _desk_state(service)
    response = await logged_out.client.request(method, url, data=fields)
    assert (response.status_code, response.headers["location"]) == (303, "/console/login")
    assert await _desk_state(service) == before


# CSRF ------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "wrong"], ids=["missing", "wrong"])
@pytest.mark.parametrize("action", ["claim", "reply", "release", "resolve"])
async def test_console_actions_refuse_a_bad_csrf_token(
    queued: ChatCustomer, maria: ConsoleAgent, action: str, token: str
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    maria.csrf = token
    response = await maria.act(conversation_id, action, text="hello")
    assert response.status_code == 403


@pytest.mark.parametrize("token", ["", "wrong"], ids=["missing", "wrong"])
async def test_login_refuses_a_bad_csrf_token(logged_out: ConsoleAgent, token: str) -> None:
    await logged_out.client.get("/console/login")
    response = await logged_out.client.post(
        "/console/login", data={"login": MARIA[0], "password": MARIA[1], "csrf": token}
    )
    assert response.status_code == 403


async def test_typing_ping_refuses_a_missing_csrf_header(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    response = await maria.client.post(f"/console/api/conversations/{conversation_id}/typing")
    assert response.status_code == 403


async def test_typing_ping_is_only_for_the_owner(
    queued: ChatCustomer, maria: ConsoleAgent, jonas: ConsoleAgent
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    response = await jonas.client.post(
        f"/console/api/conversations/{conversation_id}/typing",
        headers={"X-CSRF-Token": jonas.csrf},
    )
    assert response.status_code == 409


# Login throttling ------------------------------------------------------------------------


async def _fail(agent: ConsoleAgent, login: str, times: int) -> list[int]:
    return [(await agent.login(login, "wrong-password")).status_code for _ in range(times)]


async def test_failed_logins_lock_the_login_with_429(logged_out: ConsoleAgent) -> None:
    codes = await _fail(logged_out, MARIA[0], MAX_FAILURES + 1)
    assert codes == [401] * MAX_FAILURES + [429]


async def test_a_locked_login_refuses_the_right_password_too(logged_out: ConsoleAgent) -> None:
    await _fail(logged_out, MARIA[0], MAX_FAILURES)
    response = await logged_out.login(MARIA[0], MARIA[1])
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Too many failed logins" in response.text


async def test_a_locked_login_does_not_lock_another_login(logged_out: ConsoleAgent) -> None:
    await _fail(logged_out, MARIA[0], MAX_FAILURES)
    response = await logged_out.login(JONAS[0], JONAS[1])
    assert response.status_code == 303


async def test_failures_from_one_address_across_logins_lock_the_address(
    logged_out: ConsoleAgent,
) -> None:
    for number in range(4 * MAX_FAILURES):
        await _fail(logged_out, f"guess{number}", 1)
    response = await logged_out.login(JONAS[0], JONAS[1])
    assert response.status_code == 429


async def test_parallel_guesses_cannot_race_past_the_limit(connect: Connect) -> None:
    # Each guess is counted before its password is checked: of many sent at once, only
    # the limit's worth is checked, and the right password among them does not slip in.
    async def guess(password: str) -> int:
        async with connect(timeout=30) as client:
            return (await ConsoleAgent(client).login(MARIA[0], password)).status_code

    guesses = [f"wrong-{n}" for n in range(7)] + [MARIA[1]]
    codes = await asyncio.gather(*(guess(password) for password in guesses))
    assert len([code for code in codes if code != 429]) == MAX_FAILURES


@pytest.mark.real_socket  # the stranger's other address is a socket's
async def test_a_strangers_guesses_do_not_lock_the_owner_out(
    base_url: str, logged_out: ConsoleAgent
) -> None:
    # The stranger comes from another address (all of 127.0.0.0/8 is this machine).
    stranger = httpx.AsyncHTTPTransport(local_address="127.0.0.2")
    async with httpx.AsyncClient(base_url=base_url, transport=stranger, timeout=10) as client:
        codes = await _fail(ConsoleAgent(client), MARIA[0], MAX_FAILURES + 1)
    assert codes[-1] == 429
    assert (await logged_out.login(MARIA[0], MARIA[1])).status_code == 303


async def test_successful_logins_do_not_use_up_the_addresss_budget(
    logged_out: ConsoleAgent,
) -> None:
    # An office behind one address logs in many times a day.
    codes = []
    for _ in range(4 * MAX_FAILURES + 1):
        codes.append((await logged_out.login(JONAS[0], JONAS[1])).status_code)
        logged_out.client.cookies.clear()
    assert set(codes) == {303}


async def _lock_the_address(agent: ConsoleAgent) -> None:
    """Strangers at the agent's address use up its budget, and Maria's own from there."""
    for number in range(4 * MAX_FAILURES):
        await _fail(agent, f"guess{number}", 1)
    assert (await agent.login(MARIA[0], MARIA[1])).status_code == 429


# Every client of these tests, in-process, comes from 127.0.0.1: one address for all (an
# office, or a proxy that trusted_proxies does not name), which is the case they are about.


async def _known_device(connect: Connect, login: str, password: str) -> str:
    """Log in as ``login`` once; return the device cookie the browser keeps."""
    async with connect() as client:
        assert (await ConsoleAgent(client).login(login, password)).status_code == 303
        return client.cookies[DEVICE_COOKIE]


def _from_device(connect: Connect, device: str) -> httpx.AsyncClient:
    return connect(cookies={DEVICE_COOKIE: device})


async def test_a_login_marks_the_browser_as_a_known_device(logged_out: ConsoleAgent) -> None:
    response = await logged_out.login(MARIA[0], MARIA[1])
    cookie = next(c for c in response.headers.get_list("set-cookie") if DEVICE_COOKIE in c)
    assert (
        "HttpOnly" in cookie,
        "Path=/console/login" in cookie,
        "SameSite=strict" in cookie,
    ) == (True, True, True)


async def test_a_known_device_logs_in_where_strangers_used_up_the_addresss_budget(
    connect: Connect, logged_out: ConsoleAgent
) -> None:
    device = await _known_device(connect, MARIA[0], MARIA[1])
    await _lock_the_address(logged_out)
    async with _from_device(connect, device) as client:
        assert (await ConsoleAgent(client).login(MARIA[0], MARIA[1])).status_code == 303


async def test_a_known_device_has_a_budget_of_its_own(connect: Connect) -> None:
    # A copied device cookie buys a thief the same few guesses as anyone, no more.
    device = await _known_device(connect, MARIA[0], MARIA[1])
    async with _from_device(connect, device) as client:
        assert await _fail(ConsoleAgent(client), MARIA[0], MAX_FAILURES + 1) == (
            [401] * MAX_FAILURES + [429]
        )


@pytest.mark.parametrize("device", ["forged", "another login's"])
async def test_a_forged_or_foreign_device_cookie_counts_as_none(
    connect: Connect, logged_out: ConsoleAgent, device: str
) -> None:
    cookie = "forged" if device == "forged" else await _known_device(connect, JONAS[0], JONAS[1])
    await _lock_the_address(logged_out)
    async with _from_device(connect, cookie) as client:
        assert (await ConsoleAgent(client).login(MARIA[0], MARIA[1])).status_code == 429


# Sessions end on the server --------------------------------------------------------------


async def _stolen_cookie_works(connect: Connect, agent: ConsoleAgent) -> bool:
    async with connect(cookies=agent.client.cookies) as thief:
        return (await thief.get("/console/api/queue")).status_code == 200


async def test_logout_ends_a_copied_session_cookie(connect: Connect, maria: ConsoleAgent) -> None:
    assert await _stolen_cookie_works(connect, maria)
    async with connect(cookies=maria.client.cookies) as thief:
        response = await maria.client.post("/console/logout", data={"csrf": maria.csrf})
        assert response.status_code == 303
        assert (await thief.get("/console/api/queue")).status_code == 401


async def test_a_new_password_ends_the_agents_sessions(
    service: Service, connect: Connect, maria: ConsoleAgent
) -> None:
    agent = await service.store.agent_credentials(MARIA[0])
    assert agent is not None
    await service.store.set_password_hash(agent[0].id, agent[1])
    assert not await _stolen_cookie_works(connect, maria)


async def test_deactivation_ends_the_agents_sessions_for_good(
    service: Service, connect: Connect, maria: ConsoleAgent
) -> None:
    found = await service.store.agent_credentials(MARIA[0])
    assert found is not None
    await service.store.update_agent(found[0].id, active=False)
    await service.store.update_agent(found[0].id, active=True)
    assert not await _stolen_cookie_works(connect, maria)


# Size and flood limits -------------------------------------------------------------------


async def test_a_huge_login_form_is_refused_with_413(logged_out: ConsoleAgent) -> None:
    response = await logged_out.client.post(
        "/console/login", data={"login": MARIA[0], "password": "x" * 100_000, "csrf": ""}
    )
    assert response.status_code == 413


async def test_a_flood_of_messages_is_refused_with_429(customer: ChatCustomer) -> None:
    for number in range(FLOOD_MESSAGES):
        await customer.say(f"question {number}")
    response = await customer.client.post(
        "/api/chat/messages",
        json={"client_id": str(uuid.uuid4()), "text": "one more", "payload": None},
        headers=customer.headers,
    )
    assert response.status_code == 429
    assert "please wait a moment" in response.json()["detail"].lower()
    assert int(response.headers["Retry-After"]) > 0


async def test_a_refused_message_is_not_stored(customer: ChatCustomer) -> None:
    for number in range(FLOOD_MESSAGES):
        await customer.say(f"question {number}")
    stored = await customer.messages()
    await customer.client.post(
        "/api/chat/messages",
        json={"client_id": str(uuid.uuid4()), "text": "one more", "payload": None},
        headers=customer.headers,
    )
    assert await customer.messages() == stored


async def test_the_flood_answer_speaks_the_customers_language(http: httpx.AsyncClient) -> None:
    danish = await _new_customer(http, lang="da")
    for number in range(FLOOD_MESSAGES):
        await danish.say(f"spørgsmål {number}")
    response = await http.post(
        "/api/chat/messages",
        json={"client_id": str(uuid.uuid4()), "text": "en til", "payload": None},
        headers=danish.headers,
    )
    assert "Vent venligst et øjeblik" in response.json()["detail"]


async def test_the_flood_answer_follows_the_language_the_customer_writes(
    customer: ChatCustomer,
) -> None:
    # The page started in English (the site's); the customer writes Danish.
    for text in ("hej", "min vpn virker ikke", "tak"):
        await customer.say(text)
    response = await customer.client.post(
        "/api/chat/messages",
        json={"client_id": str(uuid.uuid4()), "text": "en til", "payload": None},
        headers=customer.headers,
    )
    assert response.status_code == 429
    assert "Vent venligst et øjeblik" in response.json()["detail"]


async def test_the_flood_limit_counts_per_conversation(
    http: httpx.AsyncClient, customer: ChatCustomer
) -> None:
    for number in range(FLOOD_MESSAGES):
        await customer.say(f"question {number}")
    other = await _new_customer(http)
    answer = await other.say(VPN_QUESTION)
    assert answer["messages"][0]["text"] == VPN_QUESTION


# Headers: scripts only from our files, framing only where allowed -------------------------


async def _html_pages(http: httpx.AsyncClient, maria: ConsoleAgent) -> list[httpx.Response]:
    return [
        await http.get("/"),
        await http.get("/?embed=1&lang=da"),
        await http.get("/console/login"),
        await maria.client.get("/console"),
    ]


async def test_every_html_page_has_a_policy_without_inline_script(
    http: httpx.AsyncClient, maria: ConsoleAgent
) -> None:
    policies = [r.headers["Content-Security-Policy"] for r in await _html_pages(http, maria)]
    assert all("script-src 'self';" in p and "unsafe-inline" not in p for p in policies)


async def test_console_pages_cannot_be_framed(
    logged_out: ConsoleAgent, maria: ConsoleAgent
) -> None:
    for response in (
        await logged_out.client.get("/console/login"),
        await maria.client.get("/console"),
    ):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Frame-Options"] == "DENY"


async def test_the_chat_page_may_be_framed_by_the_listed_sites_only(
    http: httpx.AsyncClient,
) -> None:
    response = await http.get("/?embed=1")
    assert (
        f"frame-ancestors 'self' {EMBEDDING_SITE};" in response.headers["Content-Security-Policy"]
    )
    assert "X-Frame-Options" not in response.headers
