"""What a test's web customer says, the runtime it talks to, and the card agents read."""

from __future__ import annotations

import itertools
from typing import Any
from uuid import UUID

from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed
from bot.runtime.incoming import IncomingMessage
from bot.service.composition import KnowledgeHolder, build_runtime, load_snapshot
from bot.settings.model import Settings
from handoff.card import HandoffCard, build_card
from handoff.store.sql import SqlStore

_ids = itertools.count(1)


def said(text: str, *, sender: str = "alice", payload: str | None = None) -> IncomingMessage:
    """A web chat message from ``sender``, with a button's ``payload`` if pressed."""
    return IncomingMessage(
        channel="web",
        sender_id=sender,
        external_id=f"web:{sender}:{next(_ids)}",
        text=text,
        payload=payload,
    )


def runtime_with(settings: Settings, store: SqlStore, **changes: Any) -> Runtime:
    """The runtime of ``settings`` with ``changes``, on ``store``."""
    changed = settings.model_copy(update=changes)
    built, _ = build_runtime(changed, store, KnowledgeHolder(load_snapshot(changed)), ChangeFeed())
    return built


async def handoff_card(store: SqlStore, conversation_id: UUID) -> HandoffCard:
    """The card of the conversation's only handoff, as at the moment it was asked for."""
    conversation = await store.get_conversation(conversation_id)
    (handoff,) = await store.handoffs(conversation_id)
    return build_card(
        conversation=conversation,
        customer=await store.get_customer(conversation.customer_id),
        handoff=handoff,
        transcript=await store.transcript(conversation_id),
        now=handoff.requested_at,
    )
