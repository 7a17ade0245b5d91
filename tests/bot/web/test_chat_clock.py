"""Message times in the web chat: on the desk's clock (Europe/Copenhagen), like the bot's.

The bot tells a closed desk's customer "we are back at 08:00" on the desk's clock; the times
beside the messages must read the same clock, or a customer abroad sees two. A browser in
another zone also sees the zone's name after each time.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, expect

from bot.settings.model import Settings
from tests.bot.web.conftest import ChatCustomer

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
QUESTION = "what time is it over there?"

pytestmark = pytest.mark.browser


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment, in Copenhagen."""
    return web_settings.model_copy(update={"time_zone": "Europe/Copenhagen"})


async def _stamp(browser: Browser, base_url: str, customer: ChatCustomer, zone: str) -> str:
    """The time shown beside the customer's question, in a browser kept in ``zone``."""
    context = await browser.new_context(timezone_id=zone)
    await context.add_init_script(
        f"localStorage.setItem('helpline.chat.token', '{customer.token}')"
    )
    page = await context.new_page()
    await page.goto(f"{base_url}/?lang=en")
    stamp = page.locator(".msg-customer", has_text=QUESTION).locator("time")
    await expect(stamp).to_be_visible()
    text = await stamp.inner_text()
    await context.close()
    return text


async def test_a_browser_abroad_sees_the_desks_clock_with_its_zone(
    chromium_browser: Browser, base_url: str, customer: ChatCustomer
) -> None:
    said = (await customer.say(QUESTION))["messages"][0]
    local = datetime.fromisoformat(said["created_at"]).astimezone(COPENHAGEN)

    assert await _stamp(chromium_browser, base_url, customer, "America/New_York") == (
        f"{local:%H:%M} {local.tzname()}"
    )


async def test_a_browser_on_the_desks_clock_sees_the_time_alone(
    chromium_browser: Browser, base_url: str, customer: ChatCustomer
) -> None:
    said = (await customer.say(QUESTION))["messages"][0]
    local = datetime.fromisoformat(said["created_at"]).astimezone(COPENHAGEN)

    assert await _stamp(chromium_browser, base_url, customer, "Europe/Copenhagen") == (
        f"{local:%H:%M}"
    )
