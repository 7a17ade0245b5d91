"""Formatted answers in Debian's headless Chromium: the blocks of a message (paragraphs,
numbered and bulleted lists) are spaced alike, in the customer's chat and in the console's
transcript."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, expect

from tests.bot.web.conftest import MARIA, ChatCustomer, ConsoleAgent

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
PRINTER_QUESTION = "How do I add the office printer?"
#: A paragraph, a numbered list, a paragraph, a bulleted list, a paragraph.
PRINTER_ARTICLE = """---
id: printer-add
title: Adding the office printer
lang: en
team: it-support
questions:
  - How do I add the office printer?
---
To add the printer:

1. Open **Settings**.
2. Choose *Printers*.

Then print a test page.

- It is called `PRN-1`.
- It is on the second floor.

Ask us if it does not show up.
"""
#: The message's blocks, as the page shows them.
BLOCKS = ["P", "OL", "P", "UL", "P"]

#: Each block of a formatted message and the gap above it, in CSS pixels.
GAPS = """box => Array.from(box.children).map((block, index) => [
  block.tagName,
  index === 0 ? 0 : Math.round(
    block.getBoundingClientRect().top - box.children[index - 1].getBoundingClientRect().bottom
  ),
])"""


@pytest.fixture
def web_knowledge_dir(web_knowledge_dir: Path) -> Path:
    """The shared knowledge, and an article whose answer mixes paragraphs and lists."""
    (web_knowledge_dir / "printing").mkdir()
    (web_knowledge_dir / "printing" / "printer.en.md").write_text(PRINTER_ARTICLE, "utf-8")
    return web_knowledge_dir


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


async def _gaps(box: Locator) -> list[tuple[str, int]]:
    return [(tag, gap) for tag, gap in await box.evaluate(GAPS)]


def _spaced_alike(gaps: list[tuple[str, int]]) -> None:
    assert [tag for tag, _ in gaps] == BLOCKS
    between = {gap for _, gap in gaps[1:]}
    assert len(between) == 1, gaps  # a list is set off like a paragraph, before and after
    assert between.pop() > 0, gaps


async def test_lists_and_paragraphs_of_an_answer_are_spaced_alike_in_the_chat(
    chromium_browser: Browser, base_url: str
) -> None:
    context = await chromium_browser.new_context(viewport={"width": 390, "height": 844})
    page = await context.new_page()
    await page.goto(f"{base_url}/")
    await page.get_by_label("Your message").fill(PRINTER_QUESTION)
    await page.get_by_label("Your message").press("Enter")
    answer = page.locator(".msg-bot .bubble", has=page.locator("ol")).last
    await expect(answer.locator("ol li")).to_have_count(2)
    _spaced_alike(await _gaps(answer))
    await context.close()


async def test_lists_and_paragraphs_of_an_answer_are_spaced_alike_in_the_console(
    chromium_browser: Browser, base_url: str, customer: ChatCustomer, maria: ConsoleAgent
) -> None:
    await customer.say(PRINTER_QUESTION)
    await customer.say("can I talk to a person")
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    context = await chromium_browser.new_context(viewport={"width": 1280, "height": 860})
    page = await context.new_page()
    await page.goto(f"{base_url}/console/login")
    await page.get_by_label("Login").fill(MARIA[0])
    await page.get_by_label("Password").fill(MARIA[1])
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{base_url}/console/conversations/{conversation_id}")
    answer = page.locator("#transcript .msg-bot .text", has=page.locator("ol"))
    await expect(answer.locator("ol li")).to_have_count(2)
    _spaced_alike(await _gaps(answer))
    await context.close()
