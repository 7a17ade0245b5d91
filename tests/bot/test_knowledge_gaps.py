"""The unanswered questions (``helpline kb gaps``, the dashboard) after real conversations."""

from __future__ import annotations

import itertools

import pytest

from bot.desk.knowledge_gaps import unanswered_questions
from bot.runtime.core import Runtime
from bot.runtime.incoming import IncomingMessage
from handoff.store.sql import SqlStore

_ids = itertools.count()


def said(text: str, *, sender: str, payload: str | None = None) -> IncomingMessage:
    n = next(_ids)
    return IncomingMessage(
        channel="web", sender_id=sender, external_id=f"gaps{n}", text=text, payload=payload
    )


@pytest.mark.parametrize(
    ("question", "pressed"),
    [
        ("How do I connect to the VPN?", "No, it did not help"),
        ("Hvordan forbinder jeg til VPN?", "Nej, det hjalp ikke"),
    ],
)
async def test_a_pressed_not_helpful_is_feedback_not_an_unanswered_question(
    runtime: Runtime, store: SqlStore, question: str, pressed: str
) -> None:
    sender = f"gaps-{pressed}"
    await runtime.handle(said(question, sender=sender))
    await runtime.handle(said("what is the capital of Mongolia", sender=sender))
    await runtime.handle(said(question, sender=f"{sender}-2"))
    handed = await runtime.handle(said(pressed, sender=f"{sender}-2", payload="/helpful no"))

    # The press was handed over (the default policy), so the store lists it as unanswered.
    assert handed.replies[-1].meta["kind"] == "handoff"
    stored = [m.text for m in await store.unanswered_messages()]
    assert stored == ["what is the capital of Mongolia", pressed]
    asked = [m.text for m in unanswered_questions(await store.unanswered_messages())]
    assert asked == ["what is the capital of Mongolia"]
