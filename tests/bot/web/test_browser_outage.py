"""The customer's chat page while the database is really cut (tests/outage.py), in Chromium.

The page says the problem is on the service's side (not the customer's connection), keeps
the message, sends it again when the server's ``Retry-After`` says so, and shows the answer
once the database is back: the message is stored once.
"""

from __future__ import annotations

import asyncio
import itertools
import time

import httpx
import pytest
from playwright.async_api import Browser, Request, Response, expect

from bot.channels.web.unavailable import RETRY_AFTER_S
from bot.settings.model import Settings
from tests.bot.web.conftest import VPN_ANSWER, VPN_QUESTION, ChatCustomer
from tests.outage import Outage, cut_when_idle

pytestmark = [pytest.mark.browser, pytest.mark.long]

TIMEOUT_MS = 15_000


@pytest.fixture
def web_settings(web_settings: Settings, outage: Outage) -> Settings:
    """The web tests' deployment, on a database the test can cut off."""
    return web_settings.model_copy(update={"database_url": outage.url})


async def test_a_phone_in_danish_is_told_it_is_our_problem_and_the_message_goes_through(
    chromium_browser: Browser, base_url: str, http: httpx.AsyncClient, outage: Outage
) -> None:
    context = await chromium_browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await page.goto(f"{base_url}/?lang=da")
    box = page.get_by_label("Din besked")
    await box.fill("hej")
    await box.press("Enter")
    await expect(page.locator(".msg-customer:not(.pending)")).to_have_count(1, timeout=TIMEOUT_MS)

    refused: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
    sent_at: list[float] = []

    def on_response(response: Response) -> None:
        if response.url.endswith("/api/chat/messages") and not refused.done():
            refused.set_result(response)

    def on_request(request: Request) -> None:
        if request.url.endswith("/api/chat/messages"):
            sent_at.append(time.monotonic())

    page.on("response", on_response)
    page.on("request", on_request)
    # The page's event stream may still be reading "hej"'s reply.
    await cut_when_idle(outage)
    try:
        await box.fill(VPN_QUESTION)
        await box.press("Enter")
        answer = await asyncio.wait_for(refused, TIMEOUT_MS / 1000)
        await expect(page.locator("#status")).to_have_text(
            "Vi har et problem hos os. Din besked bliver sendt, så snart det er løst…",
            timeout=TIMEOUT_MS,
        )
        await expect(page.locator(".msg-customer.pending")).to_have_count(1)
    finally:
        outage.restore()
    assert (answer.status, answer.headers["retry-after"]) == (503, str(RETRY_AFTER_S))

    # Sent again after the pause the server asked for; answered, and shown once.
    await expect(page.locator(".msg-customer:not(.pending)")).to_have_count(2, timeout=TIMEOUT_MS)
    await expect(page.locator(".msg-bot code").last).to_have_text(VPN_ANSWER, timeout=TIMEOUT_MS)
    await expect(page.locator("#status")).to_have_text("")
    # Every try came the pause the server asked for after the one before (a little
    # less at most: the test hears of each request a moment after the page sent it).
    gaps = [later - earlier for earlier, later in itertools.pairwise(sent_at)]
    assert gaps
    assert min(gaps) >= RETRY_AFTER_S - 0.5
    token = await page.evaluate("localStorage.getItem('helpline.chat.token')")
    stored = await ChatCustomer(http, token).messages()
    assert [m["text"] for m in stored if m["sender"] == "customer"] == ["hej", VPN_QUESTION]
    await context.close()
