"""The desk's figures of a period, from real conversations on both databases."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from handoff.model import HandoffReason
from handoff.stats import DeskFigures, Satisfaction, desk_figures
from handoff.store.sql import SqlStore
from tests.handoff.conftest import START, FakeClock


async def _started(store: SqlStore, external_id: str) -> str:
    customer = await store.upsert_customer(channel="web", external_id=external_id)
    return str((await store.open_conversation(customer.id)).id)


async def _figures(store: SqlStore, clock: FakeClock) -> DeskFigures:
    activity = await store.period_activity(
        since=START - timedelta(hours=1), until=clock() + timedelta(hours=1)
    )
    return desk_figures(activity, time_zone=UTC)


@pytest.fixture
async def busy_day(store: SqlStore, clock: FakeClock) -> int:
    """Three conversations: one the bot handled (rated 5), two handed off and claimed
    after 5 and 1 minutes; Maria's is rated 3. Returns Maria's agent id."""
    maria = await store.add_agent(login="maria", name="Maria", password_hash="x")
    alone = await store.open_conversation(
        (await store.upsert_customer(channel="web", external_id="a")).id
    )
    await store.record_feedback(alone.id, rating=5)
    for external_id, reason, wait_s in (
        ("b", HandoffReason.CUSTOMER_ASKED, 300),
        ("c", HandoffReason.REPEATED_FALLBACK, 60),
    ):
        customer = await store.upsert_customer(channel="web", external_id=external_id)
        conversation = await store.open_conversation(customer.id)
        await store.request_handoff(conversation.id, reason=reason)
        clock.advance(wait_s)
        await store.claim(conversation.id, maria.id)
        await store.resolve(conversation.id, agent_id=maria.id)
    await store.record_feedback(conversation.id, agent_id=maria.id, rating=3)
    return maria.id


async def test_counts_conversations_bot_alone_and_handoffs(
    store: SqlStore, clock: FakeClock, busy_day: int
) -> None:
    figures = await _figures(store, clock)
    assert (figures.conversations, figures.never_handed_off, figures.handed_off) == (3, 1, 2)


async def test_counts_handoffs_by_reason(store: SqlStore, clock: FakeClock, busy_day: int) -> None:
    figures = await _figures(store, clock)
    assert sorted(figures.by_reason) == [
        (HandoffReason.CUSTOMER_ASKED, 1),
        (HandoffReason.REPEATED_FALLBACK, 1),
    ]


async def test_the_median_wait_is_from_handoff_to_claim(
    store: SqlStore, clock: FakeClock, busy_day: int
) -> None:
    figures = await _figures(store, clock)
    assert (figures.median_wait_s, figures.claimed) == (180, 2)


async def test_satisfaction_overall_per_agent_and_for_the_bot(
    store: SqlStore, clock: FakeClock, busy_day: int
) -> None:
    figures = await _figures(store, clock)
    assert figures.satisfaction == Satisfaction(agent_id=None, count=2, average=4.0)
    assert figures.by_agent == (
        Satisfaction(agent_id=None, count=1, average=5.0),
        Satisfaction(agent_id=busy_day, count=1, average=3.0),
    )


async def test_a_conversation_before_the_period_is_left_out(
    store: SqlStore, clock: FakeClock
) -> None:
    await _started(store, "early")
    since = clock.advance(3600)
    await _started(store, "late")
    activity = await store.period_activity(since=since, until=clock() + timedelta(hours=1))
    assert len(activity.conversations) == 1


async def test_a_naive_bound_is_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await store.period_activity(since=START.replace(tzinfo=None), until=START)
