"""A staff topic's lines: Markdown from the bot and agents formatted, other text plain."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bot.channels.telegram.formatting import Entity, FormattedText
from bot.channels.telegram.staff_card import transcript_line
from handoff.model import Message, SenderKind

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
