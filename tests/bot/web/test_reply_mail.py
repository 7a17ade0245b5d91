"""Replies by e-mail to a web customer who left, through the web API and a real SMTP server.

The desk is closed (office hours in Europe/Copenhagen, open only three days from now), so a
customer who asks for a person is asked for an e-mail address. The SMTP server is aiosmtpd
in the test process; the durable timers are fired by a :class:`TimerRunner` on a clock the
test moves past the mail delay.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from playwright.async_api import Browser, expect

from bot.channels.web.resume import ResumeLinks
from bot.desk.timer_runner import TimerRunner
from bot.service.composition import Service, build_reply_mail
from bot.settings.model import Settings, load_settings
from handoff.office_hours import WEEKDAYS
from handoff.store.sql import SqlStore
from handoff.timers import TimerKind
from tests.bot.web.conftest import JONAS, MARIA, ChatCustomer, Connect, ConsoleAgent

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
OPEN_DAY = (datetime.now(COPENHAGEN) + timedelta(days=3)).weekday()
# Plain http: the console's cookies are marked Secure under an https public address,
# and the test talks plain http to 127.0.0.1.
PUBLIC_URL = "http://help.example.org"
ADDRESS = "anna@example.org"
ASK = {
    "en": "You don't have to wait here. If you like, leave your e-mail address",
    "da": "Du behøver ikke at vente her. Hvis du vil, kan du skrive din e-mailadresse",
}


class Inbox:
    """aiosmtpd's handler: keeps each mail it accepts; refuses the next ``refusals`` with a
    temporary error (451), as a server in trouble does."""

    def __init__(self) -> None:
        self.mails: list[EmailMessage] = []
        self.refusals = 0
        self.attempts = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self.attempts += 1
            if self.refusals:
                self.refusals -= 1
                return "451 4.3.0 Try again later"
            content = envelope.content
            assert isinstance(content, bytes)
            mail = message_from_bytes(content, policy=policy.default)
            assert isinstance(mail, EmailMessage)
            self.mails.append(mail)
        return "250 OK"


@pytest.fixture
def inbox(unused_tcp_port: int) -> Iterator[Inbox]:
    """A real SMTP server on 127.0.0.1, in a thread of the test process."""
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=unused_tcp_port)
    controller.start()
    yield handler
    controller.stop()


@pytest.fixture
def smtp_port(inbox: Inbox, unused_tcp_port: int) -> int:
    """The SMTP server's port (started by ``inbox``)."""
    return unused_tcp_port


@pytest.fixture
def web_settings(tmp_path: Path, web_knowledge_dir: Path, smtp_port: int) -> Settings:
    """A closed desk in Copenhagen that mails unread replies through the test's server."""
    return load_settings(
        environ={},
        search_config=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/h.db",
        knowledge_dir=web_knowledge_dir,
        teams=({"id": "it-support", "name": "IT support"},),
        demo_agents=tuple(
            {"login": login, "password": password, "name": name, "teams": ("it-support",)}
            for login, password, name in (MARIA, JONAS)
        ),
        secret_key="test",
        time_zone="Europe/Copenhagen",
        office_hours=[{"weekly": {WEEKDAYS[OPEN_DAY]: "08:00-16:00"}}],
        public_url=PUBLIC_URL,
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_security="none",
        smtp_username=None,
        mail_from="support@example.org",
        mail_delay_minutes=2,
        password_hashing="cheapest",
    )


async def _handed_off(customer: ChatCustomer, language: str = "en") -> list[dict[str, Any]]:
    question = (
        "I can't connect to the VPN from home, can I talk to a person"
        if language == "en"
        else "VPN virker ikke hjemmefra, jeg vil gerne tale med en medarbejder"
    )
    answer = await customer.say(question)
    messages: list[dict[str, Any]] = answer["messages"]
    return messages


async def _conversation_id(maria: ConsoleAgent) -> str:
    queue = (await maria.queue())["queue"]
    conversation_id: str = queue[0]["conversation_id"]
    return conversation_id


def _runner(service: Service, after: timedelta) -> TimerRunner:
    """Fires the service's timers as if ``after`` had passed."""
    assert service.timers is not None
    return TimerRunner(
        service.store, service.timers.handlers(), clock=lambda: datetime.now(UTC) + after
    )


async def _leave_address(customer: ChatCustomer, address: str | None) -> httpx.Response:
    return await customer.client.post(
        "/api/chat/email", json={"address": address}, headers=customer.headers
    )


@pytest.mark.parametrize("language", ["en", "da"])
async def test_a_closed_desk_asks_once_for_an_address_in_the_customers_language(
    http: httpx.AsyncClient, language: str
) -> None:
    session = await http.post(f"/api/chat/session?lang={language}")
    customer = ChatCustomer(http, session.json()["token"])
    replies = await _handed_off(customer, language)
    [ask] = [m for m in replies if m["kind"] == "email_ask"]
    assert ask["text"].startswith(ASK[language])
    # Asked for a person again: the question is not repeated.
    again = await customer.say("person please" if language == "en" else "medarbejder tak")
    assert all(m["kind"] != "email_ask" for m in again["messages"])


async def test_an_address_is_saved_and_confirmed(customer: ChatCustomer) -> None:
    await _handed_off(customer)
    response = await _leave_address(customer, "  Anna@Example.org ")
    assert response.status_code == 200
    [said] = response.json()["messages"]
    assert said["kind"] == "email_saved"
    assert "Anna@example.org" in said["text"]


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "That does not look like an e-mail address. Please check it."),
        ("da", "Det ligner ikke en e-mailadresse. Tjek den venligst."),
    ],
)
async def test_a_wrong_address_is_refused_in_the_customers_language(
    http: httpx.AsyncClient, language: str, expected: str
) -> None:
    session = await http.post(f"/api/chat/session?lang={language}")
    customer = ChatCustomer(http, session.json()["token"])
    await _handed_off(customer, language)
    for wrong in ("anna", "anna@", "@example.org", "anna@@example.org", "a" * 300 + "@x.org"):
        response = await _leave_address(customer, wrong)
        assert response.status_code == 422
        assert response.json()["detail"] == expected


async def test_replies_to_a_customer_who_left_go_out_in_one_mail_with_a_link_back(
    customer: ChatCustomer, maria: ConsoleAgent, service: Service, inbox: Inbox, connect: Connect
) -> None:
    await _handed_off(customer)
    await _leave_address(customer, ADDRESS)
    conversation_id = await _conversation_id(maria)
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Hi, I reset your **VPN** profile.")
    await maria.act(conversation_id, "reply", text="Please try again now.")
    # The customer has left: no chat of theirs received the replies.
    assert await _runner(service, timedelta(minutes=3)).tick() == 1
    [mail] = inbox.mails
    assert (mail["To"], mail["From"]) == (ADDRESS, "support@example.org")
    assert mail["Subject"] == "A reply to your question"
    text = mail.get_body(preferencelist=("plain",))
    assert text is not None
    body = text.get_content()
    assert "Hi, I reset your **VPN** profile." in body
    assert "Please try again now." in body
    # Times on the desk's clock, labelled with the zone.
    replies = [m for m in await customer.messages() if m["sender"] == "agent"]
    for reply in replies:
        local = datetime.fromisoformat(reply["created_at"]).astimezone(COPENHAGEN)
        assert f"Maria wrote ({local:%Y-%m-%d %H:%M} {local.tzname()}):" in body
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    assert "<strong>VPN</strong>" in html.get_content()
    match = re.search(r"To answer, go on in the chat: (\S+)", body)
    assert match is not None
    link = match.group(1)
    assert link.startswith(f"{PUBLIC_URL}/?lang=en#resume=")
    # Another device exchanges the link for a token of its own, on the same conversation.
    fragment = link.partition("#resume=")[2]
    async with connect() as other:
        exchanged = await other.post("/api/chat/resume", json={"link": fragment})
        assert exchanged.status_code == 201
        resumed = ChatCustomer(other, exchanged.json()["token"])
        assert [m["text"] for m in await resumed.messages()][-2:] == [
            "Hi, I reset your **VPN** profile.",
            "Please try again now.",
        ]
        await resumed.say("It works now, thanks")
    # The first browser keeps its own token, and sees what was written from the other.
    assert (await customer.messages())[-1]["text"] == "It works now, thanks"
    # Fired again (nothing new): nothing more is sent.
    await service.store.schedule_timer(
        TimerKind.REPLY_MAIL, conversation_id, datetime.now(UTC), if_absent=False
    )
    assert await _runner(service, timedelta(minutes=3)).tick() == 1
    assert len(inbox.mails) == 1


@pytest.mark.real_socket  # an event stream over a real connection
async def test_no_mail_when_the_open_chat_received_the_reply(
    customer: ChatCustomer, maria: ConsoleAgent, service: Service, inbox: Inbox
) -> None:
    await _handed_off(customer)
    await _leave_address(customer, ADDRESS)
    conversation_id = await _conversation_id(maria)
    await maria.act(conversation_id, "claim")
    ticket = await customer.client.post("/api/chat/events/ticket", headers=customer.headers)
    after = (await customer.messages())[-1]["id"]
    params = {"ticket": ticket.json()["ticket"], "after": after}
    async with customer.client.stream("GET", "/api/chat/events", params=params) as stream:
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            assert (await anext(lines)).startswith(":")
            await maria.act(conversation_id, "reply", text="Are you still there?")
            async for line in lines:
                if line.startswith("data: ") and "Are you still there?" in line:
                    break
    # The stream records what it delivered after sending it; the timer is armed too.
    state = None
    async with asyncio.timeout(10):
        while state is None or state.seen_through < after + 1:
            await asyncio.sleep(0.05)
            state = await service.store.reply_mail_state(1)
    assert await _runner(service, timedelta(minutes=3)).tick() == 1
    assert inbox.attempts == 0


async def test_no_mail_without_an_address(
    customer: ChatCustomer, maria: ConsoleAgent, service: Service, inbox: Inbox
) -> None:
    await _handed_off(customer)
    skipped = await _leave_address(customer, None)
    [said] = skipped.json()["messages"]
    assert said["kind"] == "email_skipped"
    conversation_id = await _conversation_id(maria)
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Hello?")
    assert await service.store.get_timer(TimerKind.REPLY_MAIL, conversation_id) is None
    assert await _runner(service, timedelta(minutes=3)).tick() == 0
    assert inbox.attempts == 0


async def test_a_failing_server_is_retried_with_backoff_and_the_reply_is_not_lost(
    customer: ChatCustomer, maria: ConsoleAgent, service: Service, inbox: Inbox
) -> None:
    await _handed_off(customer)
    await _leave_address(customer, ADDRESS)
    conversation_id = await _conversation_id(maria)
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Your new password is on its way.")
    inbox.refusals = 2
    await _runner(service, timedelta(minutes=3)).tick()
    first = await service.store.get_timer(TimerKind.REPLY_MAIL, conversation_id)
    assert first is not None
    assert first.fired_at is None  # armed again for the retry
    await _runner(service, timedelta(minutes=3)).tick()  # not due yet: nothing tried
    assert inbox.attempts == 1
    await _runner(service, timedelta(minutes=4, seconds=30)).tick()
    second = await service.store.get_timer(TimerKind.REPLY_MAIL, conversation_id)
    assert second is not None
    # The second failure waits twice as long as the first.
    assert second.due_at - first.due_at >= timedelta(minutes=1, seconds=30)
    assert inbox.attempts == 2
    await _runner(service, timedelta(minutes=10)).tick()
    assert inbox.attempts == 3
    [mail] = inbox.mails
    assert "Your new password is on its way." in mail.get_body().get_content()  # type: ignore[union-attr]
    state = await service.store.reply_mail_state(1)
    assert state is not None
    assert (state.attempts, state.sending_through) == (0, None)


async def test_two_processes_firing_at_once_send_one_mail(
    customer: ChatCustomer,
    maria: ConsoleAgent,
    service: Service,
    inbox: Inbox,
    web_settings: Settings,
) -> None:
    await _handed_off(customer)
    await _leave_address(customer, ADDRESS)
    conversation_id = await _conversation_id(maria)
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="One mail only, please.")
    timer = await service.store.get_timer(TimerKind.REPLY_MAIL, conversation_id)
    assert timer is not None
    assert service.timers is not None
    # A second process: its own store (connections) on the same database, its own handler.
    other = await SqlStore.open(web_settings.database_url)
    try:
        links = ResumeLinks("test", max_age_s=3600)
        second = build_reply_mail(web_settings, other, service.phrases, links)
        assert second is not None
        now = datetime.now(UTC) + timedelta(minutes=3)
        await asyncio.gather(
            service.timers.reply_mail(timer, now),
            second.send_replies(timer, now),
            _runner(service, timedelta(minutes=3)).tick(),
        )
    finally:
        await other.close()
    assert inbox.attempts == 1
    assert len(inbox.mails) == 1


async def test_a_resume_link_must_be_ours_and_fresh(
    customer: ChatCustomer, http: httpx.AsyncClient, service: Service
) -> None:
    await _handed_off(customer)
    customer_id = 1
    assert service.resume_links is not None
    good = service.resume_links.token(customer_id)
    long_ago = ResumeLinks("test", max_age_s=60, clock=lambda: 0.0).token(customer_id)
    other_key = ResumeLinks("not-ours", max_age_s=3600).token(customer_id)
    ticket = await http.post("/api/chat/events/ticket", headers=customer.headers)
    for refused in (long_ago, other_key, ticket.json()["ticket"], good[:-2], "x", ""):
        response = await http.post("/api/chat/resume", json={"link": refused})
        assert response.status_code in (401, 422), refused
    assert (await http.post("/api/chat/resume", json={"link": "y" * 501})).status_code == 422
    assert (await http.post("/api/chat/resume", json={"link": good})).status_code == 201
    # Erased, the customer is gone, and so is what their link opened.
    await service.store.erase_customer(customer_id, actor="test")
    assert (await http.post("/api/chat/resume", json={"link": good})).status_code == 401


async def test_the_address_is_exported_erased_and_shown_to_agents(
    customer: ChatCustomer, maria: ConsoleAgent, service: Service
) -> None:
    await _handed_off(customer)
    await _leave_address(customer, ADDRESS)
    conversation_id = await _conversation_id(maria)
    page = await maria.client.get(f"/console/conversations/{conversation_id}")
    assert f'<a href="mailto:{ADDRESS}">{ADDRESS}</a>' in page.text
    record = await service.store.export_customer(1)
    assert record.reply_mail is not None
    assert record.reply_mail.address == ADDRESS
    await service.store.erase_customer(1, actor="test")
    assert await service.store.reply_mail_state(1) is None


# In Chromium, at phone size ----------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
PERSON = {"en": "I need to talk to a person", "da": "Jeg vil gerne tale med en medarbejder"}
FIELD = {"en": "Your e-mail address", "da": "Din e-mailadresse"}
SAVE = {"en": "Save address", "da": "Gem adressen"}
INVALID = {
    "en": "That does not look like an e-mail address. Please check it.",
    "da": "Det ligner ikke en e-mailadresse. Tjek den venligst.",
}
SAVED = {
    "en": f"Thanks. If you have left when someone replies, we will e-mail the reply to {ADDRESS}.",
    "da": f"Tak. Er du gået, når en medarbejder svarer, sender vi svaret til {ADDRESS}.",
}
MESSAGE_LABEL = {"en": "Your message", "da": "Din besked"}


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "da"])
async def test_the_question_for_an_address_on_a_phone(
    chromium_browser: Browser, base_url: str, screenshots: Path, language: str
) -> None:
    context = await chromium_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto(f"{base_url}/?lang={language}")
    await page.get_by_label(MESSAGE_LABEL[language]).fill(PERSON[language])
    await page.get_by_label(MESSAGE_LABEL[language]).press("Enter")
    field = page.get_by_label(FIELD[language])
    await expect(field).to_be_visible()
    await expect(page.locator(".msg-bot .bubble").last).to_contain_text(ASK[language])
    await field.fill("anna@")
    await page.get_by_role("button", name=SAVE[language]).click()
    await expect(page.get_by_role("alert")).to_have_text(INVALID[language])
    await page.screenshot(path=screenshots / f"email-ask-{language}.png")
    await field.fill(ADDRESS)
    await page.get_by_role("button", name=SAVE[language]).click()
    await expect(page.locator(".msg-bot .bubble").last).to_have_text(SAVED[language])
    await expect(field).to_be_hidden()
    await page.screenshot(path=screenshots / f"email-saved-{language}.png", full_page=True)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # A reload shows the question answered, not the form again.
    await page.reload()
    await expect(page.locator(".msg-bot .bubble").last).to_have_text(SAVED[language])
    await expect(page.get_by_label(FIELD[language])).to_be_hidden()
    assert problems == []
    await context.close()


@pytest.mark.browser
async def test_the_mailed_link_opens_the_conversation_in_another_browser(
    chromium_browser: Browser,
    base_url: str,
    customer: ChatCustomer,
    maria: ConsoleAgent,
    service: Service,
    inbox: Inbox,
) -> None:
    await _handed_off(customer)
    await _leave_address(customer, ADDRESS)
    conversation_id = await _conversation_id(maria)
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Your VPN profile is reset.")
    await _runner(service, timedelta(minutes=3)).tick()
    [mail] = inbox.mails
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    match = re.search(r"#resume=(\S+)", body.get_content())
    assert match is not None
    context = await chromium_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await page.goto(f"{base_url}/?lang=en#resume={match.group(1)}")
    await expect(page.locator(".msg-agent .bubble").last).to_have_text("Your VPN profile is reset.")
    assert "#" not in page.url  # taken out of the address bar (and history)
    assert all("resume=" not in url for url in requested)  # never sent in a URL
    token = await page.evaluate("localStorage.getItem('helpline.chat.token')")
    assert isinstance(token, str)
    assert token != customer.token
    await context.close()
