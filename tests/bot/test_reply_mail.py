"""The reply mail's words: both languages, times on the desk's clock, a link, HTML safe.

The replies are written at 23:30 and 23:40 UTC on 6 December, already 7 December in
Copenhagen, where the desk keeps its hours: the mail says so, with the zone's name.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bot.desk.reply_mail import ReplyMail
from bot.dialogue.phrases import Phrases
from handoff.model import Conversation, ConversationState, Message, SenderKind
from handoff.office_hours import DeskHours, build_office_hours
from handoff.store.port import Store

LATE = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
LINK = "https://help.example.org/?lang={language}#resume=abc"


class NoStore:
    """compose() reads nothing: a store that says so if it is asked."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"compose() must not use the store ({name})")


class NoMailer:
    async def send(self, message: object) -> None:
        raise AssertionError("compose() must not send")


def _reply_mail() -> ReplyMail:
    hours = DeskHours(
        teams={},
        default=build_office_hours(
            time_zone="Europe/Copenhagen", weekly={"mon": "08:00-16:00"}, closures={}
        ),
    )
    store: Store = NoStore()  # type: ignore[assignment]
    return ReplyMail(
        store=store,
        phrases=Phrases(),
        mailer=NoMailer(),
        link=lambda customer_id, language: LINK.format(language=language),
        link_days=7,
        sender="support@example.org",
        delay=LATE - LATE,
        hours=hours,
        time_zone="UTC",
    )


def _conversation(language: str) -> Conversation:
    return Conversation(
        id=uuid.uuid4(),
        customer_id=1,
        channel="web",
        state=ConversationState.AGENT,
        owner_agent_id=1,
        team="it-support",
        language=language,
        created_at=LATE,
        updated_at=LATE,
        closed_at=None,
        last_seq=3,
    )


def _reply(id_: int, text: str, minute: int) -> Message:
    return Message(
        id=id_,
        conversation_id=uuid.uuid4(),
        seq=id_,
        sender=SenderKind.AGENT,
        text=text,
        created_at=LATE.replace(minute=minute),
        agent_id=1,
        agent_name="Maria",
    )


EXPECTED = {
    "en": (
        "A reply to your question",
        "Hello,\n\nyou have a reply in your conversation with our support:\n\n"
        "Maria wrote (2026-12-07 00:30 CET):\nI reset your **VPN** profile.\n\n"
        "Maria wrote (2026-12-07 00:40 CET):\nPlease try <again> now.\n\n"
        "To answer, go on in the chat: https://help.example.org/?lang=en#resume=abc\n"
        "The link works until 2026-12-14 00:45 CET. Answers to this e-mail are not read.\n",
    ),
    "da": (
        "Svar på dit spørgsmål",
        "Hej\n\nDu har fået svar i din samtale med vores support:\n\n"
        "Maria skrev (2026-12-07 00:30 CET):\nI reset your **VPN** profile.\n\n"
        "Maria skrev (2026-12-07 00:40 CET):\nPlease try <again> now.\n\n"
        "Svar ved at fortsætte i chatten: https://help.example.org/?lang=da#resume=abc\n"
        "Linket virker indtil 2026-12-14 00:45 CET. Svar på denne e-mail bliver ikke læst.\n",
    ),
}


@pytest.mark.parametrize("language", ["en", "da"])
def test_the_mail_reads_right_on_the_desks_clock(language: str) -> None:
    replies = [
        _reply(2, "I reset your **VPN** profile.", 30),
        _reply(3, "Please try <again> now.", 40),
    ]
    mail = _reply_mail().compose(
        _conversation(language), "anna@example.org", replies, LATE.replace(minute=45)
    )
    subject, text = EXPECTED[language]
    assert mail["Subject"] == subject
    assert mail["To"] == "anna@example.org"
    assert mail["Auto-Submitted"] == "auto-generated"
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None
    assert plain.get_content() == text
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    page = html.get_content()
    assert "<strong>VPN</strong>" in page
    assert "&lt;again&gt;" in page  # an agent's text is escaped, never markup
    assert f'<a href="https://help.example.org/?lang={language}#resume=abc">' in page
