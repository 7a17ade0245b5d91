"""The web chat's header in Debian's headless Chromium: it names who the customer talks to now."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from bot.settings.model import Settings, Team
from tests.bot.web.conftest import MARIA, ConsoleAgent

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}
#: Per language: the message box, a question the IT support team's article answers, asking
#: for a person, the team's name, the desk's subtitle.
LANGUAGES = {
    "en": ("Your message", "I can't connect to the VPN from home", "can I talk to a person",
           "IT support", "Ask a question, or ask for a person"),
    "da": ("Din besked", "jeg kan ikke komme på vpn hjemmefra", "kan jeg tale med en medarbejder",
           "IT-support", "Stil et spørgsmål, eller bed om en medarbejder"),
}  # fmt: skip
#: Per language: the subtitle while a person will answer (queued, or assigned but not joined):
#: true at night too, when nobody replies soon.
WAITING = {"en": "Waiting for a person", "da": "Venter på en medarbejder"}


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The web tests' deployment, its team named in Danish too."""
    team = Team(id="it-support", name="IT support", names={"da": "IT-support"})
    return web_settings.model_copy(update={"teams": (team,)})


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


async def _hand_off(page: Page, maria: ConsoleAgent, lang: str) -> str:
    """The customer asks the question, then for a person; the conversation's id."""
    label, question, ask, _, _ = LANGUAGES[lang]
    for text, bot_messages in ((question, 2), (ask, 3)):
        await page.get_by_label(label).fill(text)
        await page.get_by_label(label).press("Enter")
        await expect(page.locator(".msg-bot")).to_have_count(bot_messages)
    conversation_id: str = (await maria.queue())["queue"][0]["conversation_id"]
    return conversation_id


async def _header_reads(page: Page, title: str, subtitle: str, initials: str) -> None:
    await expect(page.locator("#chat-title")).to_have_text(title)
    await expect(page.locator("#chat-subtitle")).to_have_text(subtitle)
    await expect(page.locator("#chat-avatar")).to_have_text(initials)


@pytest.mark.parametrize("lang", list(LANGUAGES))
async def test_the_header_names_the_agent_and_team_until_they_hand_back(
    chromium_browser: Browser, base_url: str, maria: ConsoleAgent, lang: str
) -> None:
    team, desk = LANGUAGES[lang][3:]
    context = await chromium_browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{base_url}/?lang={lang}")
    await _header_reads(page, "Helpline", desk, "H")
    conversation_id = await _hand_off(page, maria, lang)
    await _header_reads(page, "Helpline", WAITING[lang], "H")  # queued: no offer of a person

    await maria.act(conversation_id, "claim")
    await expect(page.locator(".msg-system")).to_have_count(1)  # "Maria from IT support..."
    await _header_reads(page, MARIA[2], team, "M")
    await maria.act(conversation_id, "reply", text="Hi, Maria here")
    await expect(page.locator(".msg-agent")).to_have_count(1)
    await _header_reads(page, MARIA[2], team, "M")

    await maria.act(conversation_id, "hand-back")
    await expect(page.locator(".msg-system")).to_have_count(2)  # back with the bot
    await _header_reads(page, "Helpline", desk, "H")
    # A reload reads the same story from the log.
    await page.reload()
    await expect(page.locator(".msg-system")).to_have_count(2)
    await _header_reads(page, "Helpline", desk, "H")
    await context.close()


async def test_the_header_leaves_the_agent_who_steps_away(
    chromium_browser: Browser, base_url: str, maria: ConsoleAgent
) -> None:
    team = LANGUAGES["en"][3]
    context = await chromium_browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(f"{base_url}/")
    conversation_id = await _hand_off(page, maria, "en")
    await maria.act(conversation_id, "claim")
    await _header_reads(page, MARIA[2], team, "M")

    await maria.act(conversation_id, "release")  # back in the queue for the next person
    await expect(page.locator(".msg-system")).to_have_count(2)
    await _header_reads(page, "Helpline", WAITING["en"], "H")
    await context.close()
