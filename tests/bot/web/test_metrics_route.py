"""``GET /metrics`` after real conversations over the web API, and who may read it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.channels.web import create_app
from bot.service.composition import Service, build_service
from bot.settings.model import Settings
from tests.bot.web.conftest import VPN_QUESTION, ChatCustomer

TOKEN = "scrape-secret"
RELOAD_FAILING = ("helpline_knowledge_reload_failing", frozenset())


def values(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text page, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


@pytest.fixture
async def guarded(web_settings: Settings) -> AsyncIterator[Service]:
    """A service whose metrics need the bearer token."""
    built = await build_service(web_settings.model_copy(update={"metrics_token": TOKEN}))
    yield built
    await built.close()


def client_from(service: Service, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(service), client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://helpline.test")


async def test_metrics_count_a_web_conversation(
    http: httpx.AsyncClient, customer: ChatCustomer
) -> None:
    await customer.say(VPN_QUESTION)
    await customer.say("can I talk to a person")
    response = await http.get("/metrics")
    found = values(response.text)
    assert response.headers["content-type"].startswith("text/plain")
    assert found[("helpline_messages_received_total", frozenset({("channel", "web")}))] == 2
    assert found[("helpline_answers_total", frozenset())] == 1
    assert found[("helpline_handoffs_total", frozenset({("reason", "customer_asked")}))] == 1
    assert found[("helpline_queue_length", frozenset({("team", "it-support")}))] == 1


async def test_without_a_token_a_remote_client_is_refused(service: Service) -> None:
    async with client_from(service, "203.0.113.7") as remote:
        response = await remote.get("/metrics")
    assert response.status_code == 403


async def test_with_a_token_a_client_without_it_is_refused(guarded: Service) -> None:
    async with client_from(guarded, "127.0.0.1") as local:
        response = await local.get("/metrics")
    assert response.status_code == 401


async def test_with_a_token_a_remote_client_that_sends_it_may_read(guarded: Service) -> None:
    async with client_from(guarded, "203.0.113.7") as remote:
        response = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "helpline_queue_length" in response.text


async def test_a_failing_knowledge_reload_shows_in_the_metrics(
    http: httpx.AsyncClient, service: Service, web_knowledge_dir: Path
) -> None:
    assert values((await http.get("/metrics")).text)[RELOAD_FAILING] == 0
    (web_knowledge_dir / "broken.md").write_text("---\ntitle: [unclosed\n---\nbody\n", "utf-8")
    deadline = time.monotonic() + 2.0
    while service.knowledge_status.ok:
        assert time.monotonic() < deadline, "the broken edit was not noticed within 2 s"
        await asyncio.sleep(0.05)
    assert values((await http.get("/metrics")).text)[RELOAD_FAILING] == 1
