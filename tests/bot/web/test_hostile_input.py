"""Hostile input to the web API is a short 4xx answer, never a 500 or a traceback in the log;
on SQLite and on PostgreSQL (which refuses NUL in text)."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from bot.settings.model import Settings
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent


@pytest.fixture
def web_settings(web_settings: Settings, database_url: str) -> Settings:
    """The shared deployment on each database."""
    return web_settings.model_copy(update={"database_url": database_url})


@pytest.fixture(autouse=True)
def no_error_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)


def _raw_json(customer: ChatCustomer, body: str) -> dict[str, object]:
    return {
        "content": body.encode("utf-8"),
        "headers": {**customer.headers, "Content-Type": "application/json"},
    }


@pytest.mark.parametrize(
    "body",
    [
        '{"client_id": "%s", "text": "\\ud800"}',
        '{"client_id": "%s", "text": "hi", "payload": "\\udfff"}',
        '{"client_id": "%s", "\\ud800": 1}',
        '{"client_id": "\\ud800%s"}',
    ],
    ids=["text", "payload", "key", "client id"],
)
async def test_a_lone_surrogate_in_a_chat_message_is_a_422(
    customer: ChatCustomer, body: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await customer.client.post(
        "/api/chat/messages", **_raw_json(customer, body % uuid.uuid4())
    )
    assert response.status_code == 422
    assert "input" not in response.json()["detail"][0]
    assert not caplog.records


async def test_a_422_does_not_echo_a_huge_value(customer: ChatCustomer) -> None:
    response = await customer.client.post(
        "/api/chat/messages",
        json={"client_id": str(uuid.uuid4()), "text": "x" * 20_001},
        headers=customer.headers,
    )
    assert response.status_code == 422
    assert len(response.content) < 1000


@pytest.mark.parametrize("login", ["maria\x00", "a" * 150, "\u202emaria"])
async def test_an_impossible_login_is_a_wrong_login_not_a_500(
    logged_out: ConsoleAgent, login: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await logged_out.login(login, "whatever")
    assert response.status_code == 401
    assert not caplog.records


async def test_a_transcript_after_beyond_64_bits_is_a_422(
    maria: ConsoleAgent, http: httpx.AsyncClient, queued: ChatCustomer
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    response = await maria.client.get(
        f"/console/api/conversations/{conversation_id}/messages", params={"after": 2**64}
    )
    assert response.status_code == 422
