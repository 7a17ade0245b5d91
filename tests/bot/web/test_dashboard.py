"""The admin dashboard over HTTP: the period's figures, charts and unanswered questions."""

from __future__ import annotations

import re

import httpx
import pytest

from bot.service.composition import Service
from bot.settings.model import Settings
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent

DASHBOARD = "/console/admin/dashboard"
#: Unrelated topics, so that no two of the questions below share a group.
QUESTIONS = (
    "where is the canteen menu",
    "renew my parking permit",
    "company holidays 2027",
    "who organises fire drills",
)


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment; the dashboard groups the latest three unanswered questions."""
    return web_settings.model_copy(update={"dashboard_gap_questions": len(QUESTIONS) - 1})


def _figure(page: str, name: str) -> str:
    match = re.search(rf'<dd id="fig-{name}">([^<]*)', page)
    assert match is not None, f"no figure {name}"
    return match.group(1).strip()


async def test_an_agent_who_is_not_admin_gets_403(maria: ConsoleAgent) -> None:
    assert (await maria.client.get(DASHBOARD)).status_code == 403


async def test_the_page_shows_the_periods_figures(
    queued: ChatCustomer, sofie: ConsoleAgent
) -> None:
    page = (await sofie.client.get(DASHBOARD)).text
    figures = [_figure(page, name) for name in ("conversations", "never-handed-off", "handed-off")]
    assert figures == ["1", "0", "1"]


async def test_a_conversation_the_bot_could_not_answer_counts_as_never_handed_off(
    customer: ChatCustomer, sofie: ConsoleAgent
) -> None:
    # Not "answered by the bot": it had no answer, and nobody was asked for.
    await customer.say(QUESTIONS[0])
    page = (await sofie.client.get(DASHBOARD)).text
    row = re.search(r'<dt>([^<]*)</dt><dd id="fig-never-handed-off">([^<]*)</dd>', page)
    assert row is not None
    assert row.groups() == ("Never handed off", "1")


async def test_the_median_wait_says_how_many_handoffs_it_is_over(
    queued: ChatCustomer, sofie: ConsoleAgent
) -> None:
    conversation_id = (await sofie.queue())["queue"][0]["conversation_id"]
    assert (await sofie.act(conversation_id, "claim")).status_code == 303
    page = (await sofie.client.get(DASHBOARD)).text
    median = re.search(r'<dd id="fig-median-wait">(.*?)</dd>', page)
    assert median is not None
    assert re.sub(r"<[^>]+>", "", median.group(1)) == "under a minute (1 handoff claimed)"


async def test_the_reason_chart_names_each_reason_in_words(
    queued: ChatCustomer, sofie: ConsoleAgent
) -> None:
    page = (await sofie.client.get(DASHBOARD)).text
    start = page.index('id="chart-per-reason"')
    chart = page[start : page.index("</svg>", start)]
    assert "<title>The customer asked for a person: 1</title>" in chart
    assert "customer_asked" not in chart


async def test_the_day_chart_has_a_bar_per_day_of_the_period(sofie: ConsoleAgent) -> None:
    page = (await sofie.client.get(DASHBOARD, params={"days": 3})).text
    start = page.index('id="chart-per-day"')
    # Three times 24 hours back from now touch four calendar days.
    assert page[start : page.index("</svg>", start)].count('<rect class="bar"') == 4


async def test_an_unanswered_question_is_listed(
    customer: ChatCustomer, sofie: ConsoleAgent
) -> None:
    await customer.say("where can I find the canteen menu")
    page = (await sofie.client.get(DASHBOARD)).text
    gaps = page[page.index('id="gap-rows"') :]
    assert "where can I find the canteen menu" in gaps[: gaps.index("</tbody>")]


async def test_a_period_longer_than_a_year_is_refused(sofie: ConsoleAgent) -> None:
    assert (await sofie.client.get(DASHBOARD, params={"days": 400})).status_code == 422


async def test_without_a_promised_wait_the_page_says_so(
    queued: ChatCustomer, sofie: ConsoleAgent
) -> None:
    # Nobody was on shift: the customer was told no number, so no promise can be kept.
    page = (await sofie.client.get(DASHBOARD)).text
    assert _figure(page, "promises") == "no wait promised"


async def test_only_the_latest_unanswered_questions_are_grouped(
    service: Service, http: httpx.AsyncClient, sofie: ConsoleAgent
) -> None:
    latest = service.settings.dashboard_gap_questions
    asked = list(QUESTIONS)
    # One customer each: a second fallback in a row would hand the conversation off.
    for question in asked:
        token = (await http.post("/api/chat/session")).json()["token"]
        await ChatCustomer(http, token).say(question)
    page = (await sofie.client.get(DASHBOARD)).text
    gaps = page[page.index('id="gap-rows"') :]
    listed = gaps[: gaps.index("</tbody>")]
    assert [question in listed for question in asked] == [False] + [True] * latest
