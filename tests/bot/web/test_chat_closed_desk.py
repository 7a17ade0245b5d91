"""A closed desk in Europe/Copenhagen through the web chat's API, with a notice posted.

The service runs on the real clock, so the office hours are chosen around it: the desk
opens only on the weekday three days from now, and the customer is told that day and hour.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from bot.desk.notice_board import post_notice
from bot.service.composition import Service
from bot.settings.model import Settings, load_settings
from handoff.notices import Audience
from handoff.office_hours import WEEKDAYS
from tests.bot.web.conftest import JONAS, MARIA, ChatCustomer

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
OPEN_DAY = (datetime.now(COPENHAGEN) + timedelta(days=3)).weekday()
EN_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DA_DAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


@pytest.fixture
def web_settings(tmp_path: Path, web_knowledge_dir: Path) -> Settings:
    """The web deployment, open only from 08:00 on one weekday, in Copenhagen."""
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
        password_hashing="cheapest",
    )


CASES = [
    (
        "en",
        "I can't connect to the VPN from home, can I talk to a person",
        [
            f"Two colleagues are ill today: expect a reply from 08:00 on {EN_DAYS[OPEN_DAY]}.",
            "I've passed your conversation to our support team. Our team is away right now: "
            f"we are back at 08:00 on {EN_DAYS[OPEN_DAY]}. You are next in the queue and keep "
            "your place; you will get a message here when someone picks up your conversation, "
            "and you don't need to repeat anything.",
        ],
    ),
    (
        "da",
        "VPN virker ikke hjemmefra, jeg vil gerne tale med en medarbejder",
        [
            f"To kolleger er syge i dag: forvent svar fra {DA_DAYS[OPEN_DAY]} kl. 8.00.",
            "Jeg har sendt din samtale videre til vores supportteam. Vores team er ikke til "
            f"stede lige nu: vi er tilbage {DA_DAYS[OPEN_DAY]} kl. 8.00. Du er den næste i køen "
            "og beholder din plads; du får en besked her, når en medarbejder tager din samtale, "
            "og du behøver ikke at gentage noget.",
        ],
    ),
]


@pytest.mark.parametrize(("language", "question", "expected"), CASES)
async def test_a_closed_desk_tells_one_opening_on_its_own_clock(
    service: Service, http: httpx.AsyncClient, language: str, question: str, expected: list[str]
) -> None:
    now = datetime.now(UTC)
    await post_notice(
        service.store,
        texts={
            "en": "Two colleagues are ill today: expect {eta}.",
            "da": "To kolleger er syge i dag: forvent {eta}.",
        },
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        audience=Audience(),
        actor="test",
    )
    session = await http.post("/api/chat/session", params={"lang": language})
    headers = {"Authorization": f"Bearer {session.json()['token']}"}
    body = {"client_id": str(uuid.uuid4()), "text": question, "payload": None}
    response = await http.post("/api/chat/messages", json=body, headers=headers)
    assert response.status_code == 200, response.text
    _question, *replies = response.json()["messages"]
    texts = [reply["text"] for reply in replies]
    assert [t for t in texts if "vpn.example.org" not in t] == expected


@pytest.mark.parametrize(
    ("language", "question", "typed", "thanks"),
    [
        ("en", CASES[0][1], "5", "Thank you for your rating!"),
        ("da", CASES[1][1], "5 stjerner", "Tak for din vurdering!"),
    ],
)
async def test_a_rating_typed_after_resolve_at_night_is_thanked_not_queued(
    service: Service,
    http: httpx.AsyncClient,
    language: str,
    question: str,
    typed: str,
    thanks: str,
) -> None:
    # A customer trial: the happy customer typed "5", got "I'm not sure I have a good
    # answer", typed "5 stars" and was queued until the desk opened; the rating was lost.
    session = await http.post("/api/chat/session", params={"lang": language})
    customer = ChatCustomer(http, session.json()["token"])
    await customer.say(question)
    (waiting,) = await service.store.queue()
    maria = next(a for a in await service.store.list_agents() if a.login == MARIA[0])
    await service.runtime.claim(waiting.conversation.id, maria.id)
    await service.runtime.resolve(waiting.conversation.id, maria.id)

    _typed, *replies = (await customer.say(typed))["messages"]

    assert [reply["text"] for reply in replies] == [thanks]
    assert await service.store.queue() == []
    ratings = [f.rating for f in await service.store.feedback(waiting.conversation.id)]
    assert ratings == [5]
