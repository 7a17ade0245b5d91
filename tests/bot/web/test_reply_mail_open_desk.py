"""The question for an e-mail address on an open desk: asked only when the wait is long.

The desk keeps no office hours (always open). Nobody online is a long wait (no honest
number); with Maria online but busy, the next customer's expected wait is the desk's
prior (some minutes): under ``mail_ask_wait_minutes`` they are not asked, over it they are.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bot.service.composition import Service
from bot.settings.model import Settings, load_settings
from handoff.model import Presence
from tests.bot.web.conftest import JONAS, MARIA, ChatCustomer

PERSON = "I need to talk to a person"


@pytest.fixture
def web_settings(
    request: pytest.FixtureRequest, tmp_path: Path, web_knowledge_dir: Path
) -> Settings:
    """An always-open desk that mails replies; the ask threshold is the test's parameter."""
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
        public_url="http://help.example.org",
        smtp_host="127.0.0.1",
        smtp_port=2525,
        smtp_security="none",
        mail_from="support@example.org",
        mail_ask_wait_minutes=getattr(request, "param", 15),
        password_hashing="cheapest",
    )


async def _customer(http: httpx.AsyncClient) -> ChatCustomer:
    session = await http.post("/api/chat/session")
    return ChatCustomer(http, session.json()["token"])


async def _kinds(customer: ChatCustomer) -> list[str | None]:
    answer = await customer.say(PERSON)
    return [m["kind"] for m in answer["messages"]]


async def _asked(customer: ChatCustomer) -> bool:
    return "email_ask" in await _kinds(customer)


async def test_nobody_online_is_a_long_wait(http: httpx.AsyncClient) -> None:
    assert await _asked(await _customer(http))


@pytest.mark.parametrize(
    ("web_settings", "asked"), [(15, False), (1, True)], indirect=["web_settings"]
)
async def test_behind_a_busy_agent_the_threshold_decides(
    http: httpx.AsyncClient, service: Service, asked: bool
) -> None:
    agents = {a.login: a for a in await service.store.list_agents()}
    for login in (MARIA[0], JONAS[0]):
        await service.store.update_agent(agents[login].id, capacity=1)
    await service.store.set_presence(agents[MARIA[0]].id, Presence.ONLINE)
    # The first customer goes to Maria at once: someone has them, nothing to ask.
    assert not await _asked(await _customer(http))
    kinds = await _kinds(await _customer(http))
    assert "expected_wait" in kinds  # queued behind Maria, with an honest number
    assert ("email_ask" in kinds) is asked
