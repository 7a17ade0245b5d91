"""The web chat and the console driven in Debian's headless Chromium through Playwright.

One story, end to end: a customer gets an answer, asks for a person and waits; an agent in
another browser context sees the queue update, claims, reads the transcript and replies; the
customer sees the reply with the agent's name without reloading. Its screenshots are the
README's (``make screenshots`` refreshes them).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from tests.bot.web.conftest import MARIA, NOT_ASKED_YET, VPN_ANSWER, VPN_QUESTION

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000


@pytest.fixture
def browser(chromium_browser: Browser) -> Browser:
    """The shared headless Chromium (tests/bot/web/conftest.py)."""
    return chromium_browser


def _record_problems(page: Page, problems: list[str]) -> None:
    """Collect script errors and Content-Security-Policy violations of a page."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))


async def test_customer_and_agent_talk_live(
    browser: Browser, base_url: str, screenshots: Path
) -> None:
    problems: list[str] = []
    customer_context = await browser.new_context(
        viewport={"width": 390, "height": 780}, locale="en-US"
    )
    agent_context = await browser.new_context(viewport={"width": 1280, "height": 860})
    await agent_context.add_init_script(NOT_ASKED_YET)  # the README's picture shows the offer
    customer = await customer_context.new_page()
    agent = await agent_context.new_page()
    _record_problems(customer, problems)
    _record_problems(agent, problems)
    expect.set_options(timeout=TIMEOUT_MS)

    # The customer asks a question the knowledge answers, in other words than the article's.
    await customer.goto(f"{base_url}/")
    await customer.get_by_label("Your message").fill(VPN_QUESTION)
    await customer.get_by_label("Your message").press("Enter")
    await expect(customer.locator(".msg-bot .bubble code").last).to_have_text(VPN_ANSWER)

    # The agent logs in and watches the (empty) queue.
    await agent.goto(f"{base_url}/console")
    await agent.get_by_label("Login").fill(MARIA[0])
    await agent.get_by_label("Password").fill(MARIA[1])
    await agent.get_by_role("button", name="Log in").click()
    await expect(agent.locator("#inbox-empty")).to_be_visible()
    await agent.evaluate("window.__notReloaded = true")

    # The customer asks for a person and is told their place in the queue.
    await customer.evaluate("window.__notReloaded = true")
    await customer.get_by_label("Your message").fill("can I talk to a person")
    await customer.get_by_role("button", name="Send").click()
    await expect(customer.locator(".msg-bot .bubble").last).to_contain_text("queue")

    # The queue updates by itself; the agent opens the conversation and claims it.
    await expect(agent.locator("#inbox-list li")).to_have_count(1)
    await expect(agent.locator("#inbox-list")).to_contain_text("can I talk to a person")
    assert await agent.evaluate("window.__notReloaded") is True
    await agent.locator("#inbox-list a").click()
    await expect(agent.locator("#transcript")).to_contain_text(VPN_QUESTION)
    await agent.get_by_role("button", name="Claim").click()
    await expect(agent.locator("#state")).to_contain_text("Maria")

    # The agent replies; the reply appears on the customer's page with the agent's name.
    reply = "Hi, this is Maria. I have reset your VPN profile; please try again."
    await agent.get_by_label("Reply to").fill(reply)
    await agent.get_by_role("button", name="Send reply").click()
    agent_message = customer.locator(".msg-agent").last
    await expect(agent_message.locator(".bubble")).to_have_text(reply)
    await expect(agent_message.locator(".who")).to_have_text(MARIA[2])
    assert await customer.evaluate("window.__notReloaded") is True

    # The customer answers; the agent's transcript shows it without a reload.
    await agent.evaluate("window.__notReloaded = true")
    await customer.get_by_label("Your message").fill("It works now, thank you!")
    await customer.get_by_label("Your message").press("Enter")
    await expect(agent.locator("#transcript .msg-customer .text").last).to_have_text(
        "It works now, thank you!"
    )
    assert await agent.evaluate("window.__notReloaded") is True

    await customer.screenshot(path=str(screenshots / "web-chat.png"))
    await agent.screenshot(path=str(screenshots / "console.png"), full_page=True)
    await customer_context.close()
    await agent_context.close()
    assert problems == []


async def test_conversation_survives_a_reload(browser: Browser, base_url: str) -> None:
    context = await browser.new_context(locale="da-DK")
    page = await context.new_page()
    await page.goto(f"{base_url}/")
    await page.get_by_label("Din besked").fill("Jeg har glemt min adgangskode")
    await page.get_by_label("Din besked").press("Enter")
    link = page.locator(".msg-bot .bubble a").last
    await expect(link).to_have_attribute("href", "https://password.example.org/")
    await page.reload()
    await expect(page.locator(".msg-customer .bubble")).to_have_text(
        ["Jeg har glemt min adgangskode"]
    )
    await context.close()
