"""Mailing replies (bot.desk.reply_mail): the mail's words, and two processes at once.

The replies are written at 23:30 and 23:40 UTC on 6 December, already 7 December in
Copenhagen, where the desk keeps its hours: the mail says so, with the zone's name. Two
processes (two stores on one SQLite file or PostgreSQL database) firing the same timer
send one mail through a real SMTP server, and none for a reply the chat received.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller

from bot.channels.web.resume import ResumeLinks
from bot.desk.reply_mail import ReplyMail
from bot.desk.timer_runner import TimerRunner
from bot.dialogue.phrases import Phrases
from bot.service.composition import build_reply_mail
from bot.settings.model import Settings, load_settings
from handoff.model import Conversation, ConversationState, Message, NewMessage, SenderKind
from handoff.office_hours import DeskHours, build_office_hours
from handoff.store.port import Store
from handoff.store.sql import SqlStore
from handoff.timers import TimerKind
from tests.bot.web.test_reply_mail import Inbox

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


# Two processes on one database ------------------------------------------------------------


@pytest.fixture
def inbox(unused_tcp_port: int) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1 (aiosmtpd, in a thread of the test process)."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    yield handler
    controller.stop()


def _settings(database_url: str, smtp_port: int) -> Settings:
    return load_settings(
        environ={},
        search_config=False,
        database_url=database_url,
        public_url="https://help.example.org",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        mail_from="support@example.org",
        time_zone="Europe/Copenhagen",
    )


async def test_two_processes_send_one_mail_and_none_for_a_reply_read_in_either(
    database_url: str, inbox: Inbox, unused_tcp_port: int
) -> None:
    settings = _settings(database_url, unused_tcp_port)
    first = await SqlStore.open(database_url, migrate=True)
    second = await SqlStore.open(database_url)
    try:
        links = ResumeLinks("key", max_age_s=3600)
        processes = [
            (store, build_reply_mail(settings, store, Phrases(), links))
            for store in (first, second)
        ]
        customer = await first.upsert_customer(channel="web", external_id="d1", language="da")
        conversation = await first.open_conversation(customer.id)
        agent = await first.add_agent(login="maria", name="Maria", password_hash="x")
        await second.set_reply_address(customer.id, "anna@example.org")

        async def agent_replies(text: str) -> Message:
            reply, _ = await first.append_message(
                conversation.id,
                NewMessage(sender=SenderKind.AGENT, text=text, agent_id=agent.id),
            )
            for _, mail in processes:
                assert mail is not None
                await mail.message_stored(conversation.id, reply)
            return reply

        async def both_fire() -> None:
            timer = await first.get_timer(TimerKind.REPLY_MAIL, str(conversation.id))
            assert timer is not None
            later = datetime.now(UTC) + timedelta(minutes=5)
            work = []
            for store, mail in processes:
                assert mail is not None
                work += [
                    mail.send_replies(timer, later),
                    TimerRunner(
                        store, {TimerKind.REPLY_MAIL: mail.send_replies}, clock=lambda: later
                    ).tick(),
                ]
            await asyncio.gather(*work)

        await agent_replies("Første svar")
        await agent_replies("Andet svar")
        await both_fire()
        [mail] = inbox.mails
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        assert "Første svar" in body.get_content()
        assert "Andet svar" in body.get_content()
        # A later reply that the customer's chat (served by the other process) received.
        read = await agent_replies("Læst i chatten")
        await second.mark_seen(customer.id, read.id)
        await both_fire()
        assert len(inbox.mails) == 1
        assert inbox.attempts == 1
    finally:
        await first.close()
        await second.close()
