"""The customer web chat: page, JSON API and event stream, over HTTP."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.channels.web.chat import pick_language
from tests.bot.web.conftest import VPN_ANSWER, VPN_QUESTION, ChatCustomer, ConsoleAgent


@pytest.mark.parametrize(
    ("query", "header", "expected"),
    [
        (None, None, "en"),
        (None, "da-DK,da;q=0.9,en;q=0.8", "da"),
        (None, "en-GB,en;q=0.9,da;q=0.8", "en"),
        (None, "de-DE,de;q=0.9,da;q=0.5,en;q=0.3", "da"),
        (None, "fr, de", "en"),
        (None, "da;q=0, en", "en"),
        ("da", "en-US", "da"),
        ("DA", None, "da"),
        ("xx", "da", "da"),
    ],
)
def test_pick_language(query: str | None, header: str | None, expected: str) -> None:
    assert pick_language(query, header) == expected


async def test_page_is_english_by_default(http: httpx.AsyncClient) -> None:
    response = await http.get("/")
    assert response.status_code == 200
    assert '<html lang="en">' in response.text
    assert "Your message" in response.text


async def test_page_is_danish_for_a_danish_browser(http: httpx.AsyncClient) -> None:
    response = await http.get("/", headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    assert '<html lang="da">' in response.text
    assert "Din besked" in response.text


async def test_lang_query_beats_the_browser_language(http: httpx.AsyncClient) -> None:
    response = await http.get("/?lang=da", headers={"Accept-Language": "en-US"})
    assert '<html lang="da">' in response.text


async def test_page_forbids_inline_scripts_and_styles(http: httpx.AsyncClient) -> None:
    response = await http.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_page_has_no_inline_code(http: httpx.AsyncClient) -> None:
    html = (await http.get("/")).text
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts
    assert all('src="/static/' in s or 'type="application/json"' in s for s in scripts)
    assert "<style" not in html
    assert not re.search(r"<[^>]*\s(style|on[a-z]+)=", html)


async def test_static_script_is_served(http: httpx.AsyncClient) -> None:
    response = await http.get("/static/chat.js")
    assert response.status_code == 200
    assert "innerHTML" not in response.text.replace("innerHTML is never used", "")


async def test_each_session_gets_its_own_token(http: httpx.AsyncClient) -> None:
    first = await http.post("/api/chat/session")
    second = await http.post("/api/chat/session")
    assert first.status_code == 201
    assert first.json()["token"] != second.json()["token"]
    assert len(first.json()["token"]) >= 32


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["missing", "unknown", "wrong-scheme"],
)
async def test_messages_need_a_known_token(
    http: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await http.get("/api/chat/messages", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_question_gets_the_article_answer(customer: ChatCustomer) -> None:
    answer = await customer.say(VPN_QUESTION)
    senders = [m["sender"] for m in answer["messages"]]
    assert senders[0] == "customer"
    assert answer["messages"][0]["text"] == VPN_QUESTION
    assert any(m["sender"] == "bot" and VPN_ANSWER in m["text"] for m in answer["messages"])


async def test_the_conversations_language_is_told_with_answers_and_history(
    customer: ChatCustomer,
) -> None:
    # The session started in English (the site's); the customer writes Danish.
    body = {"client_id": str(uuid.uuid4()), "text": "hej", "payload": None}
    posted = await customer.client.post("/api/chat/messages", json=body, headers=customer.headers)
    listed = await customer.client.get("/api/chat/messages", headers=customer.headers)
    assert (posted.headers.get("Content-Language"), listed.headers.get("Content-Language")) == (
        "da",
        "da",
    )


async def test_retry_with_the_same_client_id_is_stored_once(customer: ChatCustomer) -> None:
    client_id = str(uuid.uuid4())
    first = await customer.say(VPN_QUESTION, client_id=client_id)
    retry = await customer.say(VPN_QUESTION, client_id=client_id)
    assert retry["duplicate"] is True
    assert [m["id"] for m in retry["messages"]] == [m["id"] for m in first["messages"]]
    assert len(await customer.messages()) == len(first["messages"])


async def test_messages_after_an_id_are_only_the_newer_ones(customer: ChatCustomer) -> None:
    first = await customer.say(VPN_QUESTION)
    last_id = first["messages"][-1]["id"]
    second = await customer.say("I forgot my password")
    newer = await customer.messages(after=last_id)
    assert [m["id"] for m in newer] == [m["id"] for m in second["messages"]]


async def test_history_lists_every_message_in_order(customer: ChatCustomer) -> None:
    first = await customer.say(VPN_QUESTION)
    second = await customer.say("I forgot my password")
    listed = await customer.messages()
    assert [m["id"] for m in listed] == [m["id"] for m in first["messages"] + second["messages"]]


async def test_empty_message_is_refused(customer: ChatCustomer) -> None:
    response = await customer.client.post(
        "/api/chat/messages",
        json={"client_id": str(uuid.uuid4()), "text": "   ", "payload": None},
        headers=customer.headers,
    )
    assert response.status_code == 422


async def test_button_payload_asks_for_a_person(customer: ChatCustomer) -> None:
    answer = await customer.say("Talk to a person", payload="/human")
    replies = [m["text"] for m in answer["messages"] if m["sender"] == "bot"]
    assert any("queue" in text for text in replies)


async def test_oversized_body_is_refused_with_413(customer: ChatCustomer) -> None:
    body = {"client_id": str(uuid.uuid4()), "text": "x" * 70_000, "payload": None}
    response = await customer.client.post("/api/chat/messages", json=body, headers=customer.headers)
    assert response.status_code == 413


async def test_chunked_oversized_body_is_refused_with_413(customer: ChatCustomer) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 10_000

    response = await customer.client.post(
        "/api/chat/messages",
        content=chunks(),
        headers={**customer.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413


async def test_event_stream_needs_a_valid_ticket(http: httpx.AsyncClient) -> None:
    response = await http.get("/api/chat/events", params={"ticket": "forged"})
    assert response.status_code == 401


async def _stream_ids(
    customer: ChatCustomer, count: int, *, headers: dict[str, str] | None = None
) -> list[int]:
    """Open the event stream and collect the ids of the first ``count`` messages pushed."""
    ticket = await customer.client.post("/api/chat/events/ticket", headers=customer.headers)
    params = {"ticket": ticket.json()["ticket"], "after": 0}
    ids: list[int] = []
    async with customer.client.stream(
        "GET", "/api/chat/events", params=params, headers=headers
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        async with asyncio.timeout(10):
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    ids.append(json.loads(line.removeprefix("data: "))["id"])
                if len(ids) == count:
                    break
    return ids


@pytest.mark.real_socket  # an event stream over a real connection
async def test_event_stream_pushes_new_messages(customer: ChatCustomer) -> None:
    ticket = await customer.client.post("/api/chat/events/ticket", headers=customer.headers)
    params = {"ticket": ticket.json()["ticket"], "after": 0}
    pushed: list[dict[str, object]] = []
    async with customer.client.stream("GET", "/api/chat/events", params=params) as stream:
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            # The stream is open and waiting before the customer writes anything.
            assert (await anext(lines)).startswith(":")
            answer = await customer.say(VPN_QUESTION)
            async for line in lines:
                if line.startswith("data: "):
                    pushed.append(json.loads(line.removeprefix("data: ")))
                if len(pushed) == len(answer["messages"]):
                    break
    assert [m["id"] for m in pushed] == [m["id"] for m in answer["messages"]]


@pytest.mark.real_socket  # an event stream over a real connection
async def test_event_stream_resumes_after_the_last_event_id(customer: ChatCustomer) -> None:
    answer = await customer.say(VPN_QUESTION)
    ids = [m["id"] for m in answer["messages"]]
    resumed = await _stream_ids(customer, len(ids) - 1, headers={"Last-Event-ID": str(ids[0])})
    assert resumed == ids[1:]


async def test_healthz_reports_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_widget_script_is_served_as_javascript(http: httpx.AsyncClient) -> None:
    response = await http.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "public, max-age=3600"


async def test_embedded_page_offers_a_close_button(http: httpx.AsyncClient) -> None:
    page = (await http.get("/?embed=1")).text
    assert 'id="close-chat"' in page
    assert '<body class="embed">' in page


@pytest.mark.real_socket  # an event stream over a real connection
async def test_event_stream_tells_who_is_typing(queued: ChatCustomer, maria: ConsoleAgent) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    ticket = await queued.client.post("/api/chat/events/ticket", headers=queued.headers)
    params = {"ticket": ticket.json()["ticket"], "after": 1_000_000}
    async with queued.client.stream("GET", "/api/chat/events", params=params) as stream:
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            assert (await anext(lines)).startswith(":")
            ping = await maria.client.post(
                f"/console/api/conversations/{conversation_id}/typing",
                headers={"X-CSRF-Token": maria.csrf},
            )
            assert ping.status_code == 204
            async for line in lines:
                if line.startswith("data: "):
                    break
    assert json.loads(line.removeprefix("data: ")) == {"name": "Maria"}


@pytest.mark.parametrize(
    ("ask", "told", "ended"),
    [
        ("what can you do?", "/end ends the conversation", "This conversation has ended."),
        ("hvad kan du?", "/end afslutter samtalen", "Samtalen er afsluttet."),
    ],
)
async def test_typing_end_as_the_help_says_ends_the_conversation(
    customer: ChatCustomer, ask: str, told: str, ended: str
) -> None:
    helped = await customer.say(ask)
    answer = await customer.say("/end")
    assert (
        told in helped["messages"][1]["text"],
        [(m["kind"], m["text"].startswith(ended)) for m in answer["messages"][1:]],
    ) == (True, [("ended", True)])


@pytest.mark.parametrize(("typed", "kind"), [("/help", "help"), ("/HELP please", "help")])
async def test_a_typed_command_is_answered_as_on_telegram(
    customer: ChatCustomer, typed: str, kind: str
) -> None:
    answer = await customer.say(typed)
    assert [m["kind"] for m in answer["messages"][1:]] == [kind]
