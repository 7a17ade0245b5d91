"""The store's side of replies by e-mail: asked once, claims that send once, retention."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from handoff.model import Conversation
from handoff.reply_mail import STALE_CLAIM, backoff
from handoff.store.sql import SqlStore
from tests.handoff.conftest import FakeClock


async def test_a_customer_is_asked_once(store: SqlStore, conversation: Conversation) -> None:
    asked = await asyncio.gather(
        *(store.ask_for_address(conversation.customer_id) for _ in range(4))
    )
    assert sorted(asked) == [False, False, False, True]
    state = await store.reply_mail_state(conversation.customer_id)
    assert state is not None
    assert state.address is None


async def test_one_claim_wins_and_a_sent_mail_is_not_claimed_again(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    customer_id = conversation.customer_id
    await store.set_reply_address(customer_id, "anna@example.org")
    claims = await asyncio.gather(
        *(store.claim_reply_mail(customer_id, 7, now=clock()) for _ in range(4))
    )
    assert len([c for c in claims if c is not None]) == 1
    assert await store.finish_reply_mail(customer_id, 7, done=True) == 0
    assert await store.claim_reply_mail(customer_id, 7, now=clock()) is None
    assert await store.claim_reply_mail(customer_id, 9, now=clock()) is not None


async def test_a_reply_the_chat_received_is_not_claimed(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    customer_id = conversation.customer_id
    await store.set_reply_address(customer_id, "anna@example.org")
    await store.mark_seen(customer_id, 12)
    await store.mark_seen(customer_id, 5)  # an older stream's news never goes back
    assert await store.claim_reply_mail(customer_id, 12, now=clock()) is None
    state = await store.reply_mail_state(customer_id)
    assert state is not None
    assert state.handled_through == 12


async def test_a_claim_cut_short_counts_as_sent_never_twice(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    customer_id = conversation.customer_id
    await store.set_reply_address(customer_id, "anna@example.org")
    assert await store.claim_reply_mail(customer_id, 7, now=clock()) is not None
    # The process stopped mid-send: the claim stays, and nobody sends those replies again.
    assert await store.claim_reply_mail(customer_id, 7, now=clock()) is None
    later = clock.advance((STALE_CLAIM + timedelta(seconds=1)).total_seconds())
    assert await store.claim_reply_mail(customer_id, 7, now=later) is None
    assert await store.claim_reply_mail(customer_id, 8, now=later) is not None


async def test_a_failed_attempt_counts_and_keeps_the_replies_due(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    customer_id = conversation.customer_id
    await store.set_reply_address(customer_id, "anna@example.org")
    for attempt in (1, 2):
        assert await store.claim_reply_mail(customer_id, 7, now=clock()) is not None
        assert await store.finish_reply_mail(customer_id, 7, done=False) == attempt


async def test_retention_takes_the_address_with_the_last_conversation(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    customer_id = conversation.customer_id
    await store.set_reply_address(customer_id, "anna@example.org")
    await store.add_web_token(customer_id, "digest-1")
    await store.resolve(conversation.id, agent_id=None)
    clock.advance(40 * 86400)
    await store.purge_closed_conversations(closed_before=clock(), actor="system")
    assert await store.reply_mail_state(customer_id) is None
    assert await store.web_token_customer("digest-1") is None


async def test_retention_keeps_the_address_of_a_customer_still_talking(
    store: SqlStore, conversation: Conversation, clock: FakeClock
) -> None:
    customer_id = conversation.customer_id
    await store.set_reply_address(customer_id, "anna@example.org")
    await store.resolve(conversation.id, agent_id=None)
    await store.open_conversation(customer_id)
    clock.advance(40 * 86400)
    await store.purge_closed_conversations(closed_before=clock(), actor="system")
    state = await store.reply_mail_state(customer_id)
    assert state is not None
    assert state.address == "anna@example.org"


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (20, 60)]
)
def test_backoff_doubles_up_to_an_hour(attempts: int, minutes: int) -> None:
    assert backoff(attempts) == timedelta(minutes=minutes)
