"""Webhook mode: Telegram posts updates to our own route, which answers 200 once stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.channels.web.app import create_app
from bot.service.composition import Service, build_service
from bot.settings.model import Settings
from tests.bot.telegram.conftest import CHAT, PUBLIC_URL
from tests.bot.telegram.conftest import WEBHOOK_SECRET as SECRET
from tests.bot.telegram.fake_bot_api import FakeBotApi


@pytest.fixture
def service(webhook_service: Service) -> Service:
    return webhook_service


@pytest.fixture
async def client(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


def _update(fake: FakeBotApi, text: str, update_id: int = 9001) -> dict[str, Any]:
    return {"update_id": update_id, "message": fake.message(CHAT, text=text)}


async def _post(client: httpx.AsyncClient, update: dict[str, Any], secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    response = await client.post("/telegram/webhook", json=update, headers=headers)
    return response.status_code


async def test_start_registers_the_webhook_with_the_secret(
    fake: FakeBotApi, service: Service
) -> None:
    assert fake.webhook is not None
    assert (fake.webhook["url"], fake.webhook["secret_token"]) == (
        f"{PUBLIC_URL}/telegram/webhook",
        SECRET,
    )


@pytest.mark.parametrize(
    "secret", [None, "", "guess", SECRET[:-1]], ids=["missing", "empty", "wrong", "prefix"]
)
async def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_stored(
    fake: FakeBotApi, client: httpx.AsyncClient, service: Service, secret: str | None
) -> None:
    status = await _post(client, _update(fake, "How do I connect to the VPN?"), secret)
    customer = await service.store.find_customer(channel="telegram", external_id=str(CHAT))
    assert (status, customer, fake.sent_to(CHAT)) == (403, None, [])


async def test_200_means_stored_and_answered(
    fake: FakeBotApi, client: httpx.AsyncClient, service: Service
) -> None:
    status = await _post(client, _update(fake, "How do I connect to the VPN?"), SECRET)
    customer = await service.store.find_customer(channel="telegram", external_id=str(CHAT))
    assert customer is not None
    stored = await service.store.customer_messages(customer.id)
    assert (status, stored[0].external_id, "vpn.example.org" in fake.sent_to(CHAT)[0].text) == (
        200,
        "telegram:9001",
        True,
    )


async def test_a_repeated_post_gets_one_reply(
    fake: FakeBotApi, client: httpx.AsyncClient, service: Service
) -> None:
    update = _update(fake, "How do I connect to the VPN?")
    await _post(client, update, SECRET)
    await _post(client, update, SECRET)
    assert len(fake.sent_to(CHAT)) == 1


async def test_without_a_token_there_is_no_telegram(settings: Settings) -> None:
    built = await build_service(settings)
    try:
        assert built.telegram is None
    finally:
        await built.close()


async def test_a_malformed_update_is_acknowledged(client: httpx.AsyncClient) -> None:
    assert await _post(client, {"message": {"no": "update id"}}, SECRET) == 200


@pytest.mark.parametrize(
    "body",
    # Within the body size limit, and deeper than Python's recursion limit.
    [b"[" * 20_000 + b"]" * 20_000, b'{"update_id": 1, "message": ' * 2_000 + b"}" * 2_000],
)
async def test_deeply_nested_json_is_a_400_not_a_500(
    client: httpx.AsyncClient, body: bytes
) -> None:
    response = await client.post(
        "/telegram/webhook",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
