"""A staff topic's lines: Markdown from the bot and agents formatted, other text plain."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.channels.telegram.formatting import Entity, FormattedText
from bot.channels.telegram.staff_card import card_text, transcript_line
from handoff.card import build_card
from handoff.model import Message, SenderKind
from tests.handoff.desk_samples import CONVERSATION, CUSTOMER, HANDOFF, TRANSCRIPT

WHEN = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _message(sender: SenderKind, text: str, **fields: object) -> Message:
    return Message(
        id=1,
        conversation_id=uuid.uuid4(),
        seq=1,
        sender=sender,
        text=text,
        created_at=WHEN,
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("message", "line"),
    [
        (
            _message(SenderKind.BOT, "Open **Secure Client**"),
            FormattedText("Bot: Open Secure Client", (Entity("bold", 10, 13),)),
        ),
        (
            _message(SenderKind.AGENT, "Try `vpn.example.org`", agent_name="Maria"),
            FormattedText("Maria: Try vpn.example.org", (Entity("code", 11, 15),)),
        ),
        (
            _message(SenderKind.CUSTOMER, "it says **error** 809"),
            FormattedText("Customer: it says **error** 809"),
        ),
        (
            _message(
                SenderKind.AGENT, "VIP **customer**", agent_name="Maria", meta={"internal": True}
            ),
            FormattedText("Note from Maria: VIP **customer**"),
        ),
    ],
)
def test_a_transcript_line(message: Message, line: FormattedText) -> None:
    assert transcript_line(message) == line


def test_the_card_says_when_on_the_deployments_clock() -> None:
    # 23:30 UTC on 6 December is 00:30 on the 7th in Copenhagen: the card says the 7th, CET.
    late = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    card = build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=replace(HANDOFF, requested_at=late, claimed_at=None),
        transcript=TRANSCRIPT,
        now=late,
    )
    text = card_text(card, time_zone=ZoneInfo("Europe/Copenhagen")).text
    assert "Handed off: 2026-12-07 00:30 CET" in text
    assert "2026-12-06" not in text


def test_a_handoff_after_small_talk_names_no_question() -> None:
    transcript = (
        _message(SenderKind.CUSTOMER, "hi there"),
        replace(
            _message(SenderKind.BOT, "Hi! What can I help you with?", meta={"kind": "small_talk"}),
            id=2,
            seq=2,
        ),
        replace(_message(SenderKind.CUSTOMER, "can I talk to a person"), id=3, seq=3),
    )
    card = build_card(
        conversation=CONVERSATION,
        customer=CUSTOMER,
        handoff=replace(HANDOFF, summary="hi there", requested_at=WHEN, claimed_at=None),
        transcript=transcript,
        now=WHEN,
    )
    assert "\nQuestion: -\n" in card_text(card).text
