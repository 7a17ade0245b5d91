"""Files in the web chat: a customer's screenshot to the agent, an agent's PDF back."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from handoff.attachments import MAX_BYTES
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


async def _send_file(
    customer: ChatCustomer, data: bytes, name: str, **params: str
) -> httpx.Response:
    return await customer.client.post(
        "/api/chat/attachments",
        params={"client_id": str(uuid.uuid4()), "name": name, **params},
        content=data,
        headers={**customer.headers, "Content-Type": "application/octet-stream"},
    )


async def test_a_screenshot_is_kept_shown_and_answered(customer: ChatCustomer) -> None:
    response = await _send_file(customer, PNG, "error.png")
    assert response.status_code == 200
    sent, reply = response.json()["messages"]
    (file,) = sent["attachments"]
    assert (sent["only_files"], file["name"], file["image"]) == (True, "error.png", True)
    assert "saved with this conversation" in reply["text"]

    served = await customer.client.get(file["url"], headers=customer.headers)
    assert (served.status_code, served.content) == (200, PNG)
    assert served.headers["content-type"] == "image/png"
    assert served.headers["content-disposition"].startswith("inline")
    assert "sandbox" in served.headers["content-security-policy"]


async def test_a_caption_is_the_message_text(customer: ChatCustomer) -> None:
    response = await _send_file(customer, PDF, "form.pdf", caption="my VPN form")
    sent = response.json()["messages"][0]
    assert (sent["text"], sent["only_files"], sent["attachments"][0]["image"]) == (
        "my VPN form",
        False,
        False,
    )
    served = await customer.client.get(sent["attachments"][0]["url"], headers=customer.headers)
    assert served.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("data", "name", "status", "detail"),
    [
        (b"<html><script>alert(1)</script></html>", "screenshot.png", 415, "Only pictures"),
        (b"PK\x03\x04" + b"\x00" * 64, "report.pdf", 415, "Only pictures"),
        (PDF + b"\x00" * MAX_BYTES, "big.pdf", 413, "too large"),
    ],
)
async def test_hostile_uploads_get_a_clear_refusal(
    customer: ChatCustomer, data: bytes, name: str, status: int, detail: str
) -> None:
    response = await _send_file(customer, data, name)
    assert response.status_code == status
    assert detail in response.json()["detail"]
    assert await customer.messages() == []


async def test_a_refused_file_is_explained_in_the_language_the_customer_writes(
    customer: ChatCustomer,
) -> None:
    # The page started in English (the site's); the customer writes Danish.
    await customer.say("hej, min vpn virker ikke")
    response = await _send_file(customer, b"PK\x03\x04" + b"\x00" * 64, "rapport.pdf")
    assert response.status_code == 415
    assert "Der kan kun sendes billeder" in response.json()["detail"]


async def test_a_body_far_over_the_limit_is_cut_off(customer: ChatCustomer) -> None:
    response = await _send_file(customer, PNG + b"\x00" * (2 * MAX_BYTES), "huge.png")
    assert response.status_code == 413


async def test_a_file_needs_the_conversation_token(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/api/chat/attachments", params={"client_id": str(uuid.uuid4())}, content=PNG
    )
    assert response.status_code == 401


async def test_an_unknown_file_is_404(customer: ChatCustomer) -> None:
    unknown = await customer.client.get(
        "/api/chat/attachments/no-such-file", headers=customer.headers
    )
    assert unknown.status_code == 404


async def _stranger(http: httpx.AsyncClient) -> ChatCustomer:
    token = (await http.post("/api/chat/session")).json()["token"]
    return ChatCustomer(http, token)


async def test_a_customers_file_is_read_only_with_their_token(
    customer: ChatCustomer, http: httpx.AsyncClient
) -> None:
    url = (await _send_file(customer, PNG, "error.png")).json()["messages"][0]["attachments"][0][
        "url"
    ]
    stranger = await _stranger(http)
    assert (
        (await http.get(url)).status_code,
        (await http.get(url, headers={"Authorization": "Bearer not-a-token"})).status_code,
        (await http.get(url, headers=stranger.headers)).status_code,
        (await http.get(url, headers=customer.headers)).status_code,
    ) == (401, 401, 404, 200)


async def _reply_with_file(
    agent: ConsoleAgent, conversation_id: str, data: bytes, name: str, text: str = ""
) -> httpx.Response:
    return await agent.client.post(
        f"/console/conversations/{conversation_id}/reply",
        data={"csrf": agent.csrf, "text": text, "reply_id": uuid.uuid4().hex},
        files={"file": (name, data, "application/octet-stream")},
    )


async def test_an_agents_file_reaches_the_web_customer(
    queued: ChatCustomer, maria: ConsoleAgent, logged_out: ConsoleAgent
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    response = await _reply_with_file(maria, conversation_id, PNG, "steps.png", "Like this")
    assert response.status_code == 303

    last: dict[str, Any] = (await queued.messages())[-1]
    assert (last["sender"], last["text"], last["attachments"][0]["name"]) == (
        "agent",
        "Like this",
        "steps.png",
    )
    chat_url = last["attachments"][0]["url"]
    stranger = await _stranger(queued.client)
    assert (
        (await queued.client.get(chat_url, headers=queued.headers)).content,
        (await queued.client.get(chat_url)).status_code,
        (await queued.client.get(chat_url, headers=stranger.headers)).status_code,
    ) == (PNG, 401, 404)
    live = await maria.client.get(f"/console/api/conversations/{conversation_id}/messages")
    console_url = live.json()["messages"][-1]["attachments"][0]["url"]
    assert (await maria.client.get(console_url)).content == PNG
    assert (await logged_out.client.get(console_url)).status_code in (303, 401)


async def test_an_agents_wrong_file_is_refused_in_words(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    response = await _reply_with_file(maria, conversation_id, b"MZ\x90\x00", "setup.pdf")
    assert response.status_code == 415
    assert "Only pictures" in response.text
