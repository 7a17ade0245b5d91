"""A handed-off conversation built by hand, shared by the card and export tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from handoff.model import (
    Button,
    Conversation,
    ConversationState,
    Customer,
    Handoff,
    HandoffReason,
    Message,
    SenderKind,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONVERSATION_ID = uuid.UUID("8d6c1f4e-0000-4000-8000-000000000001")

CUSTOMER = Customer(id=7, channel="web", external_id="w7", display_name="Ann", language="en")
CONVERSATION = Conversation(
    id=CONVERSATION_ID,
    customer_id=7,
    channel="web",
    state=ConversationState.AGENT,
    owner_agent_id=1,
    team="it-support",
    language="en",
    created_at=START,
    updated_at=START,
    closed_at=None,
    last_seq=5,
)


def message(seq: int, sender: SenderKind, text: str, **extra: Any) -> Message:
    """A stored message ``seq`` seconds after the start."""
    return Message(
        id=seq,
        conversation_id=CONVERSATION_ID,
        seq=seq,
        sender=sender,
        text=text,
        created_at=START + timedelta(seconds=seq),
        **extra,
    )


TRANSCRIPT = (
    message(1, SenderKind.CUSTOMER, "my vpn <keeps> dropping"),
    message(
        2,
        SenderKind.BOT,
        "Open Secure Client",
        buttons=(Button("Yes", "/helpful yes"), Button("No", "/helpful no")),
        meta={"kind": "answer", "article_id": "vpn-connect", "score": 0.71, "team": "it-support"},
    ),
    message(3, SenderKind.CUSTOMER, "No", meta={"payload": "/helpful no"}),
    message(4, SenderKind.BOT, "Passed on", meta={"kind": "handoff", "queue_position": 1}),
    message(5, SenderKind.AGENT, "Hi, Maria here", agent_id=1, agent_name="Maria"),
)

HANDOFF = Handoff(
    id=1,
    conversation_id=CONVERSATION_ID,
    reason=HandoffReason.NOT_HELPFUL,
    team="it-support",
    requested_at=START + timedelta(seconds=3),
    claimed_at=START + timedelta(seconds=183),
    resolved_at=None,
    agent_id=1,
    summary="my vpn <keeps> dropping",
    promised_wait_s=600,
)
