"""The console's agents page in Debian's headless Chromium, at a phone's size."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.bot.web.conftest import MARIA, SOFIE, ConsoleAgent

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}


async def test_the_agents_page_fits_a_phone(
    chromium_browser: Browser, base_url: str, sofie: ConsoleAgent
) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    context = await chromium_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{base_url}/console/login")
    await page.get_by_label("Login").fill(SOFIE[0])
    await page.get_by_label("Password").fill(SOFIE[1])
    await page.get_by_role("button", name="Log in").click()
    await expect(page.get_by_role("link", name="Agents")).to_be_visible()
    await page.goto(f"{base_url}/console/admin/agents")
    await expect(page.locator("#agent-rows tr")).to_have_count(3)  # Maria, Jonas, Sofie
    widths = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    # Each agent's form is still there to use, inside the screen.
    save = page.locator(f'tr[data-login="{MARIA[0]}"]').get_by_role("button", name="Save")
    box = await save.bounding_box()
    await context.close()
    assert widths == [PHONE["width"], PHONE["width"]]
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
