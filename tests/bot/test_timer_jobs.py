"""The desk's timers end to end: the real runtime, store and actions; a controllable clock.

The runner is called directly after moving the clock; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from bot.desk.notice_board import post_notice
from bot.desk.timer_jobs import DeskTimers, waiting_since
from bot.desk.timer_runner import TimerRunner
from bot.runtime.core import Runtime
from bot.runtime.feed import ChangeFeed
from bot.runtime.incoming import IncomingMessage
from bot.service.composition import (
    KnowledgeHolder,
    build_desk_status,
    build_runtime,
    build_timers,
    load_snapshot,
)
from bot.settings.model import Settings, load_settings
from handoff.errors import NotFound
from handoff.model import ConversationState, Customer, Message, Presence, SenderKind
from handoff.notices import Audience
from handoff.store.sql import SqlStore
from handoff.timers import SWEEP, TimerKind

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen
SATURDAY = datetime(2026, 3, 7, 9, 0, tzinfo=UTC)


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class EditingChannel:
    """A channel that can edit what it delivered; records what it was asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int | None, str]] = []

    async def deliver(self, customer: Customer, message: Message) -> None:
        self.calls.append(("deliver", None, message.text))

    async def edit(self, customer: Customer, previous: Message, message: Message) -> None:
        self.calls.append(("edit", previous.id, message.text))


class Desk:
    """The runtime, its timers and the clock, and a few customer moves."""

    def __init__(self, runtime: Runtime, timers: DeskTimers, clock: Clock) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.clock = clock
        self.runner = TimerRunner(runtime.store, timers.handlers(), clock=clock)
        self.timers = timers
        self._n = 0

    async def say(self, sender: str, text: str, *, payload: str | None = None,
                  channel: str = "web") -> list[Message]:  # fmt: skip
        self._n += 1
        handled = await self.runtime.handle(
            IncomingMessage(
                channel=channel,
                sender_id=sender,
                external_id=f"m{self._n}",
                text=text,
                payload=payload,
            )
        )
        return list(handled.replies)

    async def queue_up(self, sender: str, *, channel: str = "web") -> list[Message]:
        return await self.say(sender, "/human", payload="/human", channel=channel)

    async def transcript(self, sender: str, *, channel: str = "web") -> list[Message]:
        customer = await self.store.find_customer(channel=channel, external_id=sender)
        assert customer is not None
        return await self.store.customer_messages(customer.id)

    async def kinds(self, sender: str, *, channel: str = "web") -> list[Any]:
        return [m.meta.get("kind") for m in await self.transcript(sender, channel=channel)]

    async def fire(self) -> int:
        await self.timers.arm(self.clock())
        return await self.runner.tick()


def desk_settings(tmp_path: Path, knowledge_dir: Path, **overrides: Any) -> Settings:
    return load_settings(
        environ={},
        search_config=False,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}",
        knowledge_dir=knowledge_dir,
        time_zone="Europe/Copenhagen",
        **overrides,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY)


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def desk(
    tmp_path: Path, knowledge_dir: Path, clock: Clock, overrides: dict[str, Any]
) -> AsyncIterator[Desk]:
    settings = desk_settings(tmp_path, knowledge_dir, **overrides)
    store = await SqlStore.open(settings.database_url, migrate=True, clock=clock)
    knowledge = KnowledgeHolder(load_snapshot(settings))
    runtime, phrases = build_runtime(settings, store, knowledge, ChangeFeed())
    timers, _ = build_timers(settings, runtime, phrases)
    yield Desk(runtime, timers, clock)
    await store.close()


async def busy_agent(desk: Desk, login: str) -> int:
    """An online agent with room for one conversation, busy with one."""
    agent = await desk.store.add_agent(login=login, name=login.title(), password_hash="x",
                                       capacity=1)  # fmt: skip
    await desk.store.set_presence(agent.id, Presence.ONLINE)
    await desk.queue_up(f"{login}-customer")  # assigned to them at once
    return agent.id


OFFICE_HOURS = {
    "office_hours": [
        {"weekly": {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}},
    ]
}


# Office hours -----------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
async def test_out_of_hours_the_customer_is_told_when_people_are_back(
    desk: Desk, clock: Clock
) -> None:
    clock.now = SATURDAY
    replies = await desk.queue_up("alice")
    assert [r.text for r in replies] == [
        "I've passed your conversation to our support team. Our team is away right now: we "
        "are back at 08:00 on Monday. You are next in the queue and keep your place; you will "
        "get a message here when someone picks up your conversation, and you don't need to "
        "repeat anything."
    ]
    conversation = await desk.store.get_conversation(replies[0].conversation_id)
    assert conversation.state is ConversationState.QUEUED


SUNDAY_NIGHT = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 23:30 in Copenhagen
PERSON_DA = "Jeg vil gerne tale med en medarbejder om min VPN"
AWAY_HELLO = [
    (
        "en",
        "/human",
        "hello?",
        "The Helpline bot is here. You are number 1 in the queue. Our team is away now and back "
        "at 08:00 tomorrow.",
    ),
    (
        "da",
        PERSON_DA,
        "hallo?",
        "Helpline-botten er her. Du er nummer 1 i køen. Vores team er ikke til stede nu og er "
        "tilbage i morgen kl. 8.00.",
    ),
]


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
@pytest.mark.parametrize(("language", "ask", "hello", "expected"), AWAY_HELLO)
async def test_while_closed_a_queued_customer_is_reminded_when_people_are_back(
    desk: Desk, clock: Clock, language: str, ask: str, hello: str, expected: str
) -> None:
    clock.now = SUNDAY_NIGHT
    await desk.say(f"away-{language}", ask, payload="/human" if ask == "/human" else None)
    (reply,) = await desk.say(f"away-{language}", hello)
    assert reply.text == expected


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
async def test_while_closed_still_in_the_queue_says_when_people_are_back(
    desk: Desk, clock: Clock
) -> None:
    clock.now = SUNDAY_NIGHT
    await desk.queue_up("bob")
    await desk.queue_up("alice")
    (reply,) = await desk.say("alice", "what is the capital of Mongolia")
    assert reply.text == (
        "You are still in the queue (number 2). Anything you write now is added to your "
        "conversation. Our team is away now and back at 08:00 tomorrow."
    )


NEVER_OPEN = {"office_hours": [{"weekly": {}}]}


@pytest.mark.parametrize("overrides", [NEVER_OPEN])
async def test_closed_with_no_opening_ahead_nothing_is_promised(desk: Desk) -> None:
    replies = await desk.queue_up("alice")
    (reply,) = await desk.say("alice", "hello?")
    assert [r.text for r in [*replies, reply]] == [
        "I've passed your conversation to our support team. Our team is away right now. You "
        "are next in the queue and keep your place; you will get a message here when someone "
        "picks up your conversation, and you don't need to repeat anything.",
        "The Helpline bot is here. You are number 1 in the queue. Our team is away right now.",
    ]


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
async def test_in_hours_a_queued_customer_hears_no_reminder(desk: Desk) -> None:
    await busy_agent(desk, "maria")
    await desk.queue_up("alice")
    (reply,) = await desk.say("alice", "hello?")
    assert reply.text == (
        "Yes, I'm here. You are number 1 in the queue, and a person will reply here."
    )


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
@pytest.mark.parametrize(
    ("ask", "hello", "expected"),
    [
        (
            "/human",
            "is anyone there?",
            "The Helpline bot is here. You are number 1 in the queue. Nobody from the team is "
            "available at the moment; you will get a message here when someone picks up your "
            "conversation.",
        ),
        (
            PERSON_DA,
            "er der nogen?",
            "Helpline-botten er her. Du er nummer 1 i køen. Der er ingen ledige medarbejdere "
            "lige nu; du får en besked her, når en medarbejder tager din samtale.",
        ),
    ],
)
async def test_in_hours_with_nobody_online_a_queued_customer_is_promised_no_reply_soon(
    desk: Desk, ask: str, hello: str, expected: str
) -> None:
    """The acknowledgement said nobody from the team is available; the queue's replies
    never take that back with "a person will reply here"."""
    await desk.say("alice", ask, payload="/human" if ask == "/human" else None)
    (reply,) = await desk.say("alice", hello)
    assert reply.text == expected


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
async def test_out_of_hours_the_second_in_line_hears_their_number(desk: Desk, clock: Clock) -> None:
    clock.now = SUNDAY_NIGHT
    await desk.queue_up("bob")
    replies = await desk.say("alice", PERSON_DA)
    assert [r.text for r in replies] == [
        "Jeg har sendt din samtale videre til vores supportteam. Vores team er ikke til stede "
        "lige nu: vi er tilbage i morgen kl. 8.00. Du er nummer 2 i køen og beholder din "
        "plads; du får en besked her, når en medarbejder tager din samtale, og du behøver "
        "ikke at gentage noget."
    ]


ILL = {
    "en": "Two colleagues are ill today: expect {eta}.",
    "da": "To kolleger er syge i dag: forvent {eta}.",
}

AT_NIGHT = [
    (
        "en",
        "/human",
        [
            "Two colleagues are ill today: expect a reply from 08:00 tomorrow.",
            "I've passed your conversation to our support team. Our team is away right now: "
            "we are back at 08:00 tomorrow. You are next in the queue and keep your place; you "
            "will get a message here when someone picks up your conversation, and you don't "
            "need to repeat anything.",
        ],
    ),
    (
        "da",
        "Jeg vil gerne tale med en medarbejder om min VPN",
        [
            "To kolleger er syge i dag: forvent svar fra i morgen kl. 8.00.",
            "Jeg har sendt din samtale videre til vores supportteam. Vores team er ikke til "
            "stede lige nu: vi er tilbage i morgen kl. 8.00. Du er den næste i køen og beholder "
            "din plads; du får en besked her, når en medarbejder tager din samtale, og du "
            "behøver ikke at gentage noget.",
        ],
    ),
]


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
@pytest.mark.parametrize(("language", "text", "expected"), AT_NIGHT)
async def test_at_night_the_notice_and_the_desk_name_the_same_hour(
    desk: Desk, clock: Clock, language: str, text: str, expected: list[str]
) -> None:
    clock.now = SUNDAY_NIGHT
    await post_notice(desk.store, texts=ILL, starts_at=clock.now,
                      ends_at=clock.now + timedelta(hours=12), audience=Audience(),
                      actor="test")  # fmt: skip
    payload = "/human" if text == "/human" else None
    replies = await desk.say(f"night-{language}", text, payload=payload)
    assert [r.text for r in replies] == expected


async def test_a_notice_and_the_acknowledgement_tell_one_wait(desk: Desk) -> None:
    # Maria (security) is busy and two customers wait for security; the other team has
    # room. Read before the handoff routed it, the notice would quote the free team.
    maria = await desk.store.add_agent(login="maria", name="Maria", password_hash="x",
                                       teams=("security",), capacity=1)  # fmt: skip
    jonas = await desk.store.add_agent(login="jonas", name="Jonas", password_hash="x",
                                       teams=("it-support",), capacity=3)  # fmt: skip
    for agent in (maria, jonas):
        await desk.store.set_presence(agent.id, Presence.ONLINE)
    for early in ("bob", "carol", "dave"):
        await desk.say(early, "my laptop was stolen")
    await _notice(desk, "Two colleagues are ill today: expect {eta}.")
    replies = await desk.say("alice", "my laptop was stolen")
    notice = next(r for r in replies if r.meta.get("kind") == "notice")
    wait = next(r for r in replies if r.meta.get("kind") == "expected_wait")
    assert notice.text == f"Two colleagues are ill today: expect {wait.meta['eta']}."


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
async def test_in_hours_there_is_no_out_of_hours_note(desk: Desk) -> None:
    replies = await desk.queue_up("alice")
    assert "out_of_hours" not in [r.meta.get("kind") for r in replies]


# Wait estimate and updates ----------------------------------------------------------


async def test_the_acknowledgement_carries_the_expected_wait(desk: Desk) -> None:
    await busy_agent(desk, "maria")
    replies = await desk.queue_up("alice")
    (wait,) = [r for r in replies if r.meta.get("kind") == "expected_wait"]
    assert wait.text == "Expected wait: less than 15 minutes."


NOBODY = {
    "en": [
        "I've passed your conversation to our support team. Nobody from the team is available "
        "at the moment. You are next in the queue and keep your place; you will get a message "
        "here when someone picks up your conversation, and you don't need to repeat anything.",
    ],
    "da": [
        "Jeg har sendt din samtale videre til vores supportteam. Der er ingen ledige "
        "medarbejdere lige nu. Du er den næste i køen og beholder din plads; du får en besked "
        "her, når en medarbejder tager din samtale, og du behøver ikke at gentage noget.",
    ],
}
MAIL = {
    "smtp_host": "127.0.0.1",
    "smtp_security": "none",
    "mail_from": "support@example.org",
    "public_url": "https://help.example.org",
}


@pytest.mark.parametrize("overrides", [{}, OFFICE_HOURS], ids=["no hours", "open hours"])
@pytest.mark.parametrize(("language", "text"), [("en", "/human"), ("da", PERSON_DA)])
async def test_nobody_online_the_customer_is_told_so_and_keeps_their_place(
    desk: Desk, language: str, text: str
) -> None:
    await desk.store.add_agent(login="maria", name="Maria", password_hash="x")  # offline
    payload = "/human" if text == "/human" else None
    replies = await desk.say(f"nobody-{language}", text, payload=payload, channel="telegram")
    assert [r.text for r in replies] == NOBODY[language]


@pytest.mark.parametrize("overrides", [MAIL])
async def test_nobody_online_a_web_customer_is_also_asked_for_an_address(desk: Desk) -> None:
    replies = await desk.queue_up("alice")
    assert [r.meta.get("kind") for r in replies] == ["handoff", "email_ask"]
    assert replies[0].text == NOBODY["en"][0]


async def test_with_someone_online_a_person_will_reply(desk: Desk) -> None:
    await busy_agent(desk, "maria")
    (ack, _wait) = await desk.queue_up("alice")
    assert ack.text == (
        "I've passed your conversation to our support team. You are next in the queue. "
        "A person will reply here; you don't need to repeat anything."
    )


async def test_nobody_on_shift_means_no_number(desk: Desk) -> None:
    replies = await desk.queue_up("alice")
    assert "expected_wait" not in [r.meta.get("kind") for r in replies]


async def _shorter_queue(desk: Desk) -> None:
    """Alice waits behind two customers who then leave: her wait drops."""
    await busy_agent(desk, "maria")
    for early in ("bob", "carol"):
        await desk.queue_up(early)
    await desk.queue_up("alice")
    for early in ("bob", "carol"):
        (message, *_) = await desk.transcript(early)
        await desk.store.resolve(message.conversation_id, agent_id=None)


async def test_a_material_change_is_told_after_five_minutes(desk: Desk, clock: Clock) -> None:
    await _shorter_queue(desk)
    clock.advance(minutes=5)
    await desk.fire()
    (update,) = [m for m in await desk.transcript("alice") if m.meta.get("kind") == "wait_update"]
    assert update.text.startswith("Update: you are next in the queue. Expected wait: ")


async def test_no_update_within_five_minutes_of_the_last(desk: Desk, clock: Clock) -> None:
    await _shorter_queue(desk)
    clock.advance(minutes=4)
    await desk.fire()
    assert "wait_update" not in await desk.kinds("alice")


async def test_an_unchanged_wait_is_not_told_again(desk: Desk, clock: Clock) -> None:
    await _shorter_queue(desk)
    clock.advance(minutes=5)
    await desk.fire()
    clock.advance(minutes=10)
    await desk.fire()
    assert (await desk.kinds("alice")).count("wait_update") == 1


async def test_a_channel_that_can_edit_edits_the_last_status(desk: Desk, clock: Clock) -> None:
    channel = EditingChannel()
    desk.runtime.register_delivery("telegram", channel)
    await busy_agent(desk, "maria")
    for early in ("bob", "carol"):
        await desk.queue_up(early)
    await desk.queue_up("alice", channel="telegram")
    for early in ("bob", "carol"):
        (message, *_) = await desk.transcript(early)
        await desk.store.resolve(message.conversation_id, agent_id=None)
    clock.advance(minutes=5)
    await desk.fire()
    told = await desk.transcript("alice", channel="telegram")
    (ack,) = [m for m in told if m.meta.get("kind") == "expected_wait"]
    (update,) = [m for m in told if m.meta.get("kind") == "wait_update"]
    assert channel.calls[-1] == ("edit", ack.id, update.text)


# Inactive agents --------------------------------------------------------------------


async def _claimed(desk: Desk) -> tuple[int, Message]:
    agent = await desk.store.add_agent(login="maria", name="Maria", password_hash="x")
    replies = await desk.queue_up("alice")
    await desk.runtime.claim(replies[0].conversation_id, agent.id)
    return agent.id, replies[0]


async def test_a_silent_agent_loses_the_conversation(desk: Desk, clock: Clock) -> None:
    _, reply = await _claimed(desk)
    clock.advance(minutes=10)
    await desk.fire()
    conversation = await desk.store.get_conversation(reply.conversation_id)
    assert conversation.state is ConversationState.QUEUED
    last = (await desk.transcript("alice"))[-1]
    assert (last.sender, last.meta["kind"]) == (SenderKind.SYSTEM, "agent_inactive")
    # Nobody else is online: the customer is told so, as the queue's other replies do.
    assert last.text == (
        "Maria could not reply in time; you are back in the queue for the next person. Nobody "
        "from the team is available at the moment; you will get a message here when someone "
        "picks up your conversation."
    )


async def test_a_silent_agent_the_customer_never_met_is_not_named(desk: Desk, clock: Clock) -> None:
    agent = await desk.store.add_agent(login="maria", name="Maria", password_hash="x")
    await desk.store.set_presence(agent.id, Presence.ONLINE)
    (ack,) = await desk.queue_up("alice")  # given to Maria at once; she never looks
    assert ack.meta.get("assigned") is True
    clock.advance(minutes=10)
    await desk.fire()
    last = (await desk.transcript("alice"))[-1]
    assert (last.meta["kind"], last.text) == (
        "agent_inactive",
        "The person who had your conversation could not reply in time; you are back in the "
        "queue for the next person.",
    )


FRIDAY_BEFORE_CLOSING = datetime(2026, 3, 6, 14, 55, tzinfo=UTC)  # 15:55 in Copenhagen


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
async def test_back_in_the_queue_after_closing_the_customer_hears_when_people_are_back(
    desk: Desk, clock: Clock
) -> None:
    clock.now = FRIDAY_BEFORE_CLOSING
    await _claimed(desk)
    clock.advance(minutes=10)  # the desk closed at 16:00
    await desk.fire()
    last = (await desk.transcript("alice"))[-1]
    assert (last.meta["kind"], last.text) == (
        "agent_inactive",
        "Maria could not reply in time; you are back in the queue for the next person. Our "
        "team is away now and back at 08:00 on Monday.",
    )


@pytest.mark.parametrize("overrides", [OFFICE_HOURS])
async def test_released_after_closing_a_danish_customer_hears_when_people_are_back(
    desk: Desk, clock: Clock
) -> None:
    clock.now = FRIDAY_BEFORE_CLOSING
    agent = await desk.store.add_agent(login="maria", name="Maria", password_hash="x")
    (*_, ack) = await desk.say("bo", PERSON_DA)
    await desk.runtime.claim(ack.conversation_id, agent.id)
    clock.advance(minutes=6)
    told = await desk.runtime.release(ack.conversation_id, agent.id)
    assert told.text == (
        "Maria måtte gå fra; du er tilbage i køen til den næste medarbejder. Vores team er ikke "
        "til stede nu og er tilbage mandag kl. 8.00."
    )


async def test_an_agent_who_answered_keeps_the_conversation(desk: Desk, clock: Clock) -> None:
    agent_id, reply = await _claimed(desk)
    clock.advance(minutes=2)
    await desk.runtime.agent_reply(reply.conversation_id, agent_id, "Let me check that.")
    clock.advance(minutes=30)  # the customer has not written since: nobody is waiting
    await desk.fire()
    conversation = await desk.store.get_conversation(reply.conversation_id)
    assert conversation.state is ConversationState.AGENT


async def test_a_customer_waiting_on_an_answer_counts_from_their_message(
    desk: Desk, clock: Clock
) -> None:
    agent_id, reply = await _claimed(desk)
    await desk.runtime.agent_reply(reply.conversation_id, agent_id, "Hello!")
    clock.advance(minutes=20)
    await desk.say("alice", "still there?")
    clock.advance(minutes=9)
    await desk.fire()
    assert (await desk.store.get_conversation(reply.conversation_id)).state is (
        ConversationState.AGENT
    )
    clock.advance(minutes=1)
    await desk.fire()
    assert (await desk.store.get_conversation(reply.conversation_id)).state is (
        ConversationState.QUEUED
    )


# Retention --------------------------------------------------------------------------


@pytest.mark.parametrize("overrides", [{"retention_days": 30}])
async def test_old_closed_conversations_are_erased(desk: Desk, clock: Clock) -> None:
    (old, *_) = await desk.say("alice", "how do I reset my password")
    await desk.store.resolve(old.conversation_id, agent_id=None)
    clock.advance(days=29)
    (recent, *_) = await desk.say("bob", "how do I reset my password")
    await desk.store.resolve(recent.conversation_id, agent_id=None)
    (still_open, *_) = await desk.say("carol", "how do I reset my password")
    clock.advance(days=1, minutes=1)
    await desk.fire()
    with pytest.raises(NotFound):
        await desk.store.get_conversation(old.conversation_id)
    assert await desk.store.transcript(old.conversation_id) == []
    await desk.store.get_conversation(recent.conversation_id)
    await desk.store.get_conversation(still_open.conversation_id)


@pytest.mark.parametrize("overrides", [{"retention_days": 30}])
async def test_the_purge_runs_once_a_day(desk: Desk, clock: Clock) -> None:
    await desk.fire()
    timer = await desk.store.get_timer(TimerKind.RETENTION_PURGE, SWEEP)
    assert timer is not None
    assert timer.due_at == clock() + timedelta(days=1)


# Notices ----------------------------------------------------------------------------


async def _notice(desk: Desk, text: str, *, start_in: float = 0, **audience: str) -> int:
    start = desk.clock() + timedelta(minutes=start_in)
    notice = await post_notice(
        desk.store,
        texts={"en": text},
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        audience=Audience(**audience),
        actor="test",
    )
    return notice.id


async def test_a_notice_is_shown_once_with_its_placeholders(desk: Desk) -> None:
    # Bob waits in the accounts queue, where Alice's password question would take her.
    await desk.say("bob", "how do I reset my password")
    await desk.queue_up("bob")
    await _notice(desk, "Busy today: you would be number {position}, back {next_open}.")
    first = await desk.say("alice", "how do I reset my password")
    again = await desk.say("alice", "how do I reset my password")
    assert [r.text for r in first if r.meta.get("kind") == "notice"] == [
        "Busy today: you would be number 2, back now."
    ]
    assert "notice" not in [r.meta.get("kind") for r in again]


async def test_a_notice_for_another_channel_is_not_shown(desk: Desk) -> None:
    await _notice(desk, "Telegram is slow today", channel="telegram")
    replies = await desk.say("alice", "how do I reset my password")
    assert "notice" not in [r.meta.get("kind") for r in replies]


async def test_a_starting_notice_reaches_queued_customers_once(desk: Desk, clock: Clock) -> None:
    await desk.queue_up("alice")
    await _notice(desk, "Two colleagues are ill today.", start_in=30)
    clock.advance(minutes=30)
    await desk.fire()
    clock.advance(minutes=1)
    await desk.fire()
    assert (await desk.kinds("alice")).count("notice") == 1


async def test_an_ended_notice_is_no_longer_shown(desk: Desk, clock: Clock) -> None:
    await _notice(desk, "Busy today")
    clock.advance(hours=2)
    await desk.fire()
    replies = await desk.say("alice", "how do I reset my password")
    assert "notice" not in [r.meta.get("kind") for r in replies]


class Announcements:
    """An announcement channel at the edge of the world: records what was posted."""

    def __init__(self) -> None:
        self.posted: list[str] = []

    async def post(self, text: str) -> None:
        self.posted.append(text)


@pytest.fixture
def announcements() -> Announcements:
    return Announcements()


@pytest.fixture
async def announcing_desk(
    tmp_path: Path, knowledge_dir: Path, clock: Clock, announcements: Announcements
) -> AsyncIterator[Desk]:
    settings = desk_settings(tmp_path, knowledge_dir)
    store = await SqlStore.open(settings.database_url, migrate=True, clock=clock)
    runtime, phrases = build_runtime(
        settings, store, KnowledgeHolder(load_snapshot(settings)), ChangeFeed()
    )
    timers = DeskTimers(
        runtime=runtime,
        status=build_desk_status(settings, store, phrases),
        phrases=phrases,
        announce=announcements.post,
    )
    yield Desk(runtime, timers, clock)
    await store.close()


async def test_a_starting_notice_is_posted_to_the_announcement_channel_once(
    announcing_desk: Desk, clock: Clock, announcements: Announcements
) -> None:
    await _notice(announcing_desk, "Two colleagues are ill today.", start_in=30)
    await announcing_desk.fire()
    assert announcements.posted == []
    clock.advance(minutes=30)
    await announcing_desk.fire()
    clock.advance(minutes=5)
    await announcing_desk.fire()
    assert announcements.posted == ["Two colleagues are ill today."]


async def test_a_notice_with_placeholders_is_not_posted_to_the_channel(
    announcing_desk: Desk, clock: Clock, announcements: Announcements
) -> None:
    await _notice(announcing_desk, "Expect {eta} today.", start_in=1)
    clock.advance(minutes=1)
    await announcing_desk.fire()
    assert announcements.posted == []


def test_an_internal_note_does_not_end_the_customers_wait() -> None:
    claimed = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    note = Message(
        id=1,
        conversation_id=uuid4(),
        seq=1,
        sender=SenderKind.AGENT,
        text="checking with the network team",
        created_at=claimed + timedelta(minutes=1),
        meta={"internal": True},
    )
    assert waiting_since([note], claimed) == claimed


# Live waits ---------------------------------------------------------------------------


async def test_the_quote_follows_the_desks_own_handle_times(desk: Desk, clock: Clock) -> None:
    maria = await desk.store.add_agent(login="maria", name="Maria", password_hash="x",
                                       capacity=1)  # fmt: skip
    await desk.store.set_presence(maria.id, Presence.ONLINE)
    for n in range(6):  # six conversations of 40 minutes each, far above the 8-minute prior
        (first, *_) = await desk.queue_up(f"early-{n}")
        clock.advance(minutes=40)
        await desk.store.agent_seen(maria.id)
        await desk.runtime.resolve(first.conversation_id, maria.id)
    clock.advance(minutes=2)  # past the cached reading
    await desk.queue_up("bob")  # Maria takes Bob; Alice waits for her
    replies = await desk.queue_up("alice")
    (wait,) = [r for r in replies if r.meta.get("kind") == "expected_wait"]
    assert wait.text == "Expected wait: less than 25 minutes."  # the prior said "less than 15"
    handoff = await desk.store.current_handoff(wait.conversation_id)
    assert handoff is not None
    assert (handoff.promised_low_s, handoff.promised_high_s) == (0, 1500)


async def test_the_history_is_read_once_per_refresh_not_per_quote(desk: Desk, clock: Clock) -> None:
    recent = desk.timers.status.recent_waits
    before = await recent.of(None, clock())
    await desk.queue_up("bob")  # a new handoff, waiting
    clock.advance(seconds=30)
    assert await recent.of(None, clock()) is before
    clock.advance(seconds=31)
    assert len((await recent.of(None, clock())).waits) == len(before.waits) + 1
