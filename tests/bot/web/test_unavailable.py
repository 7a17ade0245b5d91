"""The web answers while the database is really cut (tests/outage.py): 503, saying so.

The console tells an agent the database is unavailable, never "not yours"; its JSON API
and the customer chat API answer 503 with Retry-After; once the database is back, the
same requests succeed.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from bot.channels.web.console.desk import NOT_YOURS
from bot.channels.web.unavailable import DETAIL, RETRY_AFTER_S
from bot.settings.model import Settings
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent
from tests.outage import Outage


@pytest.fixture
def web_settings(web_settings: Settings, outage: Outage) -> Settings:
    """The web tests' deployment, on a database the test can cut off."""
    return web_settings.model_copy(update={"database_url": outage.url})


async def _claimed(queued: ChatCustomer, maria: ConsoleAgent) -> str:
    conversation_id: str = (await maria.queue())["queue"][0]["conversation_id"]
    claimed = await maria.act(conversation_id, "claim")
    assert claimed.status_code == 303
    return conversation_id


async def test_the_console_says_the_database_is_unavailable(
    queued: ChatCustomer, maria: ConsoleAgent, outage: Outage
) -> None:
    conversation_id = await _claimed(queued, maria)
    outage.cut()
    try:
        released = await maria.act(conversation_id, "release")
        page = await maria.client.get(f"/console/conversations/{conversation_id}")
        api = await maria.client.get("/console/api/queue")
    finally:
        outage.restore()
    assert (released.status_code, page.status_code, api.status_code) == (503, 503, 503)
    for answer in (released, page):
        assert "The database is unavailable" in answer.text
        assert NOT_YOURS not in answer.text
        assert answer.headers["retry-after"] == str(RETRY_AFTER_S)
    assert (api.json(), api.headers["retry-after"]) == ({"detail": DETAIL}, str(RETRY_AFTER_S))
    assert (await maria.act(conversation_id, "release")).status_code == 303


async def test_the_chat_api_answers_503_with_a_retry_hint(
    customer: ChatCustomer, outage: Outage
) -> None:
    body = {"client_id": str(uuid.uuid4()), "text": "is anyone there?"}
    outage.cut()
    try:
        refused = await customer.client.post(
            "/api/chat/messages", json=body, headers=customer.headers
        )
    finally:
        outage.restore()
    assert refused.status_code == 503
    assert (refused.json(), refused.headers["retry-after"]) == (
        {"detail": DETAIL},
        str(RETRY_AFTER_S),
    )
    sent = await customer.client.post("/api/chat/messages", json=body, headers=customer.headers)
    assert sent.status_code == 200
    assert sent.json()["messages"][0]["text"] == "is anyone there?"


async def test_a_new_chat_during_an_outage_is_503(http: httpx.AsyncClient, outage: Outage) -> None:
    outage.cut()
    try:
        refused = await http.post("/api/chat/session")
    finally:
        outage.restore()
    assert (refused.status_code, refused.headers["retry-after"]) == (503, str(RETRY_AFTER_S))
