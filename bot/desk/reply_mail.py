"""Agents' replies by e-mail to web customers who have left the chat (handoff.reply_mail).

Two halves, wired by the composition root:

* :meth:`ReplyMail.message_stored` (a transcript listener, in whichever process the agent
  replied) arms the conversation's ``reply_mail`` timer ``mail_delay`` after the reply,
  unless one is pending: the replies of a burst go in one mail;
* :meth:`ReplyMail.send_replies` (that timer's handler, in the process leading the timers)
  mails the conversation's replies that no open chat of the customer received. The send is
  claimed in the store first and recorded after, so it goes out once across processes and
  restarts; a failure is retried with backoff (:func:`handoff.reply_mail.backoff`) on the
  same timer, and the replies stay due until a mail goes out.

A reply counts as read when an event stream of the customer delivered it (any process
records that in the store), so a customer with the chat open gets no mail.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol
from uuid import UUID

from bot.channels.mail import MailFailed
from bot.dialogue.phrases import Phrases
from handoff import markup
from handoff.errors import NotFound
from handoff.model import Conversation, Message, SenderKind
from handoff.office_hours import DeskHours, zone
from handoff.reply_mail import MAX_ATTEMPTS, ReplyMailState, backoff
from handoff.store.port import Store
from handoff.timers import Timer, TimerKind

log = logging.getLogger(__name__)

CHANNEL = "web"


class Mailer(Protocol):
    """Sends one e-mail (``bot.channels.mail.SmtpMailer``)."""

    async def send(self, message: EmailMessage) -> None:
        """Raises MailFailed."""


#: The link back to the chat for (customer id, language), and when it stops working.
LinkMaker = Callable[[int, str], str]


def local_time(moment: datetime, hours: DeskHours, team: str | None, default: str) -> str:
    """A moment on the team's clock (else the deployment's), with the zone's abbreviation:
    ``2026-12-07 00:30 CET``, so a reader elsewhere knows which clock it is."""
    local = moment.astimezone(hours.local_time_zone(team) or zone(default))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.tzinfo}"


class ReplyMail:
    """Mails agents' unread replies to web customers who left an address.

    Args:
        store: the desk's store.
        phrases: the mail's sentences (overridable like the bot's).
        mailer: sends the composed mail.
        link: the resume link for a customer and language.
        link_days: how long the link works (said in the mail).
        sender: the ``From`` address.
        delay: how long after a reply it is mailed (the burst window).
        hours: office hours, for the team's clock.
        time_zone: the deployment's.
        default_language: for conversations whose language is unknown.
    """

    def __init__(
        self,
        *,
        store: Store,
        phrases: Phrases,
        mailer: Mailer,
        link: LinkMaker,
        link_days: int,
        sender: str,
        delay: timedelta,
        hours: DeskHours,
        time_zone: str,
        default_language: str = "en",
    ) -> None:
        self._store = store
        self._phrases = phrases
        self._mailer = mailer
        self._link = link
        self._link_days = link_days
        self._sender = sender
        self._delay = delay
        self._hours = hours
        self._time_zone = time_zone
        self._default_language = default_language

    # The listener ------------------------------------------------------------------

    async def message_stored(self, conversation_id: UUID, message: Message) -> None:
        """Arm the conversation's mail timer after an agent's reply to a web customer."""
        if message.sender is not SenderKind.AGENT or message.meta.get("internal"):
            return
        conversation = await self._store.get_conversation(conversation_id)
        if conversation.channel != CHANNEL:
            return
        state = await self._store.reply_mail_state(conversation.customer_id)
        if state is None or state.address is None:
            return
        await self._store.schedule_timer(
            TimerKind.REPLY_MAIL,
            str(conversation_id),
            message.created_at + self._delay,
            if_absent=True,
        )

    # The timer ---------------------------------------------------------------------

    async def send_replies(self, timer: Timer, now: datetime) -> None:
        """Mail the conversation's replies its customer's chat did not receive."""
        try:
            conversation = await self._store.get_conversation(timer.conversation_id)
        except NotFound:
            return  # erased meanwhile
        customer_id = conversation.customer_id
        state = await self._store.reply_mail_state(customer_id)
        if state is None or state.address is None:
            return
        replies = unread_replies(await self._store.transcript(conversation.id), state)
        if not replies:
            return
        through = replies[-1].id
        claim = await self._store.claim_reply_mail(customer_id, through, now=now)
        if claim is None or claim.address is None:
            return  # read meanwhile, mailed, or another process is sending it
        mail = self.compose(conversation, claim.address, replies, now)
        try:
            await self._mailer.send(mail)
        except MailFailed as exc:
            await self._failed(timer, conversation, claim, through, exc, now)
            return
        await self._store.finish_reply_mail(customer_id, through, done=True)
        log.info(
            "reply mail sent conversation=%s replies=%d",
            conversation.id,
            len(replies),
            extra={"conversation_id": str(conversation.id)},
        )

    async def _failed(
        self,
        timer: Timer,
        conversation: Conversation,
        claim: ReplyMailState,
        through: int,
        exc: MailFailed,
        now: datetime,
    ) -> None:
        given_up = exc.permanent or claim.attempts + 1 >= MAX_ATTEMPTS
        attempts = await self._store.finish_reply_mail(
            conversation.customer_id, through, done=given_up
        )
        if given_up:
            log.error(
                "reply mail given up conversation=%s after %d attempts: %s",
                conversation.id,
                claim.attempts + 1,
                exc.reason,
                extra={"conversation_id": str(conversation.id)},
            )
            return
        retry_at = now + backoff(attempts)
        await self._store.schedule_timer(TimerKind.REPLY_MAIL, timer.key, retry_at)
        log.warning(
            "reply mail failed conversation=%s attempt %d, again at %s: %s",
            conversation.id,
            attempts,
            retry_at.isoformat(timespec="seconds"),
            exc.reason,
            extra={"conversation_id": str(conversation.id)},
        )

    # The mail ----------------------------------------------------------------------

    def compose(
        self, conversation: Conversation, address: str, replies: Sequence[Message], now: datetime
    ) -> EmailMessage:
        """The mail of ``replies``: plain text, with the same in HTML as an alternative."""
        language = conversation.language or self._default_language
        say = self._phrases.get
        link = self._link(conversation.customer_id, language)
        expires = self._time(now + timedelta(days=self._link_days), conversation.team)
        headings = [
            say(
                "email_reply_heading",
                language,
                agent=reply.agent_name or say("team_default", language),
                time=self._time(reply.created_at, conversation.team),
            )
            for reply in replies
        ]
        text_replies = "\n\n".join(
            f"{heading}\n{reply.text}" for heading, reply in zip(headings, replies, strict=True)
        )
        text = say("email_body", language, replies=text_replies, link=link, expires=expires)
        # The HTML part: the same sentences, escaped, with the replies formatted as in the
        # chat and the link clickable. Markers stand in for them while the rest is escaped.
        body = html.escape(
            say("email_body", language, replies="\0R\0", link="\0L\0", expires=expires)
        )
        html_replies = "".join(
            f"<p><strong>{html.escape(heading)}</strong></p>"
            f"<blockquote>{markup.to_html(reply.text)}</blockquote>"
            for heading, reply in zip(headings, replies, strict=True)
        )
        anchor = f'<a href="{html.escape(link)}">{html.escape(link)}</a>'
        paragraphs = body.replace("\0R\0", "\0R\0\n\n").split("\n\n")
        html_body = "".join(
            html_replies
            if part.strip() == "\0R\0"
            else f"<p>{part.strip().replace(chr(10), '<br>')}</p>"
            for part in paragraphs
            if part.strip()
        ).replace("\0L\0", anchor)
        mail = EmailMessage()
        mail["Subject"] = say("email_subject", language)
        mail["From"] = self._sender
        mail["To"] = address
        mail["Date"] = format_datetime(now)
        mail["Message-ID"] = make_msgid(domain=self._sender.rpartition("@")[2])
        # Answers to this mail are not read; automatic replies should not come back either.
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(text)
        mail.add_alternative(
            f'<!doctype html><html lang="{html.escape(language)}"><body>{html_body}</body></html>',
            subtype="html",
        )
        return mail

    def _time(self, moment: datetime, team: str | None) -> str:
        return local_time(moment, self._hours, team, self._time_zone)


def unread_replies(transcript: Sequence[Message], state: ReplyMailState) -> list[Message]:
    """The agents' replies (not internal notes) that the customer's chat did not receive
    and no mail carried yet, oldest first."""
    return [
        m
        for m in transcript
        if m.sender is SenderKind.AGENT
        and not m.meta.get("internal")
        and m.id > state.handled_through
    ]
