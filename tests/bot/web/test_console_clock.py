"""Times in the console and on the dashboard, on the deployment's clock (Europe/Copenhagen).

The handoff and the unanswered question are written at 23:30 UTC, which in Copenhagen is
already the next day: the pages must show the local day and time, with the zone's name.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from bot.settings.model import Settings
from handoff.model import HandoffReason, NewMessage, SenderKind
from handoff.store.sql import SqlStore
from tests.bot.web.conftest import SOFIE, ChatCustomer, ConsoleAgent

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
DASHBOARD = "/console/admin/dashboard"


def _late_last_night() -> datetime:
    """The latest 23:30 UTC before now: a local date one day after its UTC date."""
    now = datetime.now(UTC)
    late = now.replace(hour=23, minute=30, second=0, microsecond=0)
    return late if late < now else late - timedelta(days=1)


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment, in Copenhagen."""
    return web_settings.model_copy(update={"time_zone": "Europe/Copenhagen"})


@pytest.fixture
async def late_handoff(web_settings: Settings, sofie: ConsoleAgent) -> str:
    """A question the bot could not answer and its handoff, both written at 23:30 UTC."""
    at = _late_last_night()
    store = await SqlStore.open(web_settings.database_url, clock=lambda: at)
    try:
        customer = await store.upsert_customer(channel="web", external_id="late", language="en")
        conversation = await store.open_conversation(customer.id)
        question, _ = await store.append_message(
            conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text="where is the canteen")
        )
        await store.append_message(
            conversation.id,
            NewMessage(
                sender=SenderKind.BOT,
                text="I'm not sure",
                reply_to=question.id,
                meta={"kind": "fallback"},
            ),
        )
        await store.request_handoff(
            conversation.id, reason=HandoffReason.REPEATED_FALLBACK, team="it-support"
        )
    finally:
        await store.close()
    return str(conversation.id)


async def test_the_dashboard_counts_and_shows_times_on_the_local_day(
    late_handoff: str, sofie: ConsoleAgent
) -> None:
    local = _late_last_night().astimezone(COPENHAGEN)
    page = (await sofie.client.get(DASHBOARD, params={"days": 2})).text
    chart = page[page.index('id="chart-per-day"') :]
    chart = chart[: chart.index("</svg>")]
    assert f"<title>{local:%d %b}: 1</title>" in chart
    gaps = page[page.index('id="gap-rows"') :]
    row = gaps[: gaps.index("</tbody>")]
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}" in row
    assert "where is the canteen" in row


async def test_the_console_shows_the_handoff_time_on_the_local_clock(
    late_handoff: str, sofie: ConsoleAgent
) -> None:
    local = _late_last_night().astimezone(COPENHAGEN)
    page = (await sofie.client.get(f"/console/conversations/{late_handoff}")).text
    assert f"{local:%Y-%m-%d %H:%M} {local.tzname()}</time>" in page
    assert " UTC</time>" not in page


@pytest.mark.browser
async def test_a_live_message_shows_the_deployments_clock_not_the_browsers(
    chromium_browser: Browser, base_url: str, queued: ChatCustomer, sofie: ConsoleAgent
) -> None:
    conversation_id = (await sofie.queue())["queue"][0]["conversation_id"]
    # The agent's browser is in New York; the desk's clock is Copenhagen's.
    context = await chromium_browser.new_context(timezone_id="America/New_York")
    page = await context.new_page()
    await page.goto(f"{base_url}/console/login")
    await page.get_by_label("Login").fill(SOFIE[0])
    await page.get_by_label("Password").fill(SOFIE[1])
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{base_url}/console/conversations/{conversation_id}")
    said = (await queued.say("are you still there?"))["messages"][0]
    local = datetime.fromisoformat(said["created_at"]).astimezone(COPENHAGEN)
    row = page.locator(".msg", has_text="are you still there?")
    await expect(row.locator("time")).to_have_text(f"{local:%Y-%m-%d %H:%M} {local.tzname()}")
    # The rows the server drew read the same clock.
    first = page.locator(".msg time").first
    await expect(first).to_have_text(re.compile(rf" {local.tzname()}$"))
    await context.close()
