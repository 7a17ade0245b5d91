"""The console's keyboard shortcuts, pressed in Debian's headless Chromium through Playwright."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Dialog, Page, expect

from bot.service.composition import Service
from tests.bot.web.conftest import MARIA, ChatCustomer

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000


@pytest.fixture
async def claimed_page(
    chromium_browser: Browser, base_url: str, service: Service, queued: ChatCustomer
) -> AsyncIterator[Page]:
    """Maria's console page of the queued conversation, which she has just claimed."""
    expect.set_options(timeout=TIMEOUT_MS)
    (entry,) = await service.store.queue()
    context = await chromium_browser.new_context()
    page = await context.new_page()
    await page.goto(f"{base_url}/console/login")
    await page.get_by_label("Login").fill(MARIA[0])
    await page.get_by_label("Password").fill(MARIA[1])
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{base_url}/console/conversations/{entry.conversation.id}")
    await page.get_by_role("button", name="Claim").click()
    await expect(page.locator("#state")).to_contain_text("Maria")
    yield page
    await context.close()


async def test_ctrl_enter_sends_the_reply(claimed_page: Page, queued: ChatCustomer) -> None:
    await claimed_page.get_by_label("Reply to").fill("Sent from the keyboard")
    await claimed_page.get_by_label("Reply to").press("Control+Enter")
    await expect(claimed_page.locator("#transcript .msg-agent .text").last).to_have_text(
        "Sent from the keyboard"
    )
    assert "Sent from the keyboard" in [m["text"] for m in await queued.messages()]


async def test_alt_d_resolves_after_confirming(claimed_page: Page) -> None:
    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    claimed_page.on("dialog", accept)
    await claimed_page.locator("body").press("Alt+KeyD")
    await expect(claimed_page.locator("#state")).to_have_text("resolved")
