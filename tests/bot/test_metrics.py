"""The runtime's counters and the desk's gauges, read back through the Prometheus parser."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.errors import DeliveryFailed
from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed
from bot.runtime.incoming import IncomingMessage
from bot.service.composition import KnowledgeHolder, build_metrics, build_runtime, load_snapshot
from bot.service.metrics import Metrics
from bot.settings.model import Settings
from handoff.model import Customer, Message, Presence
from handoff.store.sql import SqlStore

DEPLOYMENT_DOCS = Path(__file__).resolve().parents[2] / "docs" / "deployment.md"


class RefusingChannel:
    """A push channel whose platform refuses every message (the customer blocked us)."""

    async def deliver(self, customer: Customer, message: Message) -> None:
        raise DeliveryFailed("telegram", "Forbidden: bot was blocked by the user")


@pytest.fixture
def metrics(settings: Settings, store: SqlStore) -> Metrics:
    return build_metrics(settings, store)


@pytest.fixture
def counted(settings: Settings, store: SqlStore, metrics: Metrics) -> Runtime:
    knowledge = KnowledgeHolder(load_snapshot(settings))
    built, _ = build_runtime(settings, store, knowledge, ChangeFeed(), metrics=metrics)
    return built


def said(text: str, *, channel: str = "web", external_id: str | None = None) -> IncomingMessage:
    return IncomingMessage(
        channel=channel,
        sender_id="alice",
        external_id=external_id or str(uuid.uuid4()),
        text=text,
    )


async def sample(metrics: Metrics, name: str, **labels: str) -> float | None:
    """The value of one sample in the scraped text, or None when it is absent."""
    text = (await metrics.exposition()).decode()
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and found.labels == labels:
                return found.value
    return None


async def test_a_received_message_is_counted_by_channel(counted: Runtime, metrics: Metrics) -> None:
    await counted.handle(said("the vpn is not working when I'm at home"))
    assert await sample(metrics, "helpline_messages_received_total", channel="web") == 1


async def test_a_redelivered_message_is_counted_once(counted: Runtime, metrics: Metrics) -> None:
    await counted.handle(said("the vpn is not working when I'm at home", external_id="m1"))
    await counted.handle(said("the vpn is not working when I'm at home", external_id="m1"))
    assert await sample(metrics, "helpline_messages_received_total", channel="web") == 1


async def test_an_answer_is_counted(counted: Runtime, metrics: Metrics) -> None:
    await counted.handle(said("the vpn is not working when I'm at home"))
    assert await sample(metrics, "helpline_answers_total") == 1


async def test_a_fallback_is_counted(counted: Runtime, metrics: Metrics) -> None:
    await counted.handle(said("what is the capital of Mongolia"))
    assert await sample(metrics, "helpline_fallbacks_total") == 1


async def test_a_handoff_is_counted_by_reason(counted: Runtime, metrics: Metrics) -> None:
    await counted.handle(said("can I talk to a person"))
    assert await sample(metrics, "helpline_handoffs_total", reason="customer_asked") == 1


async def test_the_queue_length_is_read_at_scrape_time(counted: Runtime, metrics: Metrics) -> None:
    await counted.handle(said("the vpn is not working when I'm at home"))
    await counted.handle(said("can I talk to a person"))
    assert await sample(metrics, "helpline_queue_length", team="it-support") == 1


async def test_an_empty_team_queue_is_reported_as_zero(metrics: Metrics) -> None:
    assert await sample(metrics, "helpline_queue_length", team="accounts") == 0


async def test_the_wait_estimate_needs_someone_on_shift(metrics: Metrics) -> None:
    low = await sample(metrics, "helpline_wait_estimate_seconds", team="it-support", bound="low")
    assert low is None


async def test_the_wait_estimate_is_reported_with_an_agent_online(
    metrics: Metrics, store: SqlStore, agents: tuple[int, int]
) -> None:
    await store.set_presence(agents[0], Presence.ONLINE)
    low = await sample(metrics, "helpline_wait_estimate_seconds", team="it-support", bound="low")
    high = await sample(metrics, "helpline_wait_estimate_seconds", team="it-support", bound="high")
    assert low is not None
    assert high is not None
    assert 0 <= low <= high


async def test_an_agent_reply_is_counted(
    counted: Runtime, metrics: Metrics, store: SqlStore, agents: tuple[int, int]
) -> None:
    handled = await counted.handle(said("can I talk to a person"))
    conversation_id = handled.conversation.id
    await store.claim(conversation_id, agents[0])
    await counted.agent_reply(conversation_id, agents[0], "Hello, Maria here.")
    assert await sample(metrics, "helpline_agent_replies_total") == 1


async def test_a_delivery_failure_is_counted_by_channel(counted: Runtime, metrics: Metrics) -> None:
    counted.register_delivery("telegram", RefusingChannel())
    await counted.handle(said("the vpn is not working when I'm at home", channel="telegram"))
    assert await sample(metrics, "helpline_delivery_failures_total", channel="telegram") == 1


async def test_the_oldest_wait_is_read_at_scrape_time(
    counted: Runtime, metrics: Metrics, store: SqlStore
) -> None:
    await counted.handle(said("the vpn is not working when I'm at home"))
    handled = await counted.handle(said("can I talk to a person"))
    handoff = await store.current_handoff(handled.conversation.id)
    assert handoff is not None
    await metrics.refresh(now=handoff.requested_at + timedelta(seconds=90))
    waited = metrics.registry.get_sample_value(
        "helpline_oldest_wait_seconds", {"team": "it-support"}
    )
    assert waited == 90


async def test_an_empty_queue_has_waited_zero(metrics: Metrics) -> None:
    assert await sample(metrics, "helpline_oldest_wait_seconds", team="accounts") == 0


def test_every_metric_the_alerting_docs_name_exists(metrics: Metrics) -> None:
    text = DEPLOYMENT_DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Monitoring and alerts") :].split("\n## ", 1)[0]
    named = set(re.findall(r"\bhelpline_[a-z_]+", section))
    families = {family.name for family in metrics.registry.collect()}
    known = families | {f"{name}_total" for name in families}
    assert named
    assert named <= known
