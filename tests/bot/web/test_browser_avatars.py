"""Agents' pictures in Debian's headless Chromium: uploaded on the agents page, seen by
customers."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, ConsoleMessage, Page, expect

from bot.service.composition import Service
from tests.bot.web.conftest import MARIA, SOFIE, ConsoleAgent
from tests.bot.web.test_agent_avatars import PIXEL

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


def _watch(page: Page) -> list[str]:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


async def test_a_picture_uploaded_on_the_agents_page_shows_there(
    chromium_browser: Browser, base_url: str, sofie: ConsoleAgent
) -> None:
    context = await chromium_browser.new_context(viewport=PHONE)
    page = await context.new_page()
    problems = _watch(page)
    await page.goto(f"{base_url}/console")
    await page.get_by_label("Login").fill(SOFIE[0])
    await page.get_by_label("Password").fill(SOFIE[1])
    await page.get_by_role("button", name="Log in").click()
    await page.goto(f"{base_url}/console/admin/agents")
    row = page.locator(f'tr[data-login="{MARIA[0]}"]')
    await expect(row.locator(".agent-face")).to_have_text("M")

    await page.get_by_label("Picture of Maria").set_input_files(
        files=[{"name": "maria.png", "mimeType": "image/png", "buffer": PIXEL}]
    )
    await row.get_by_role("button", name="Upload picture").click()
    face = row.get_by_role("img", name="Picture of Maria")
    await expect(face).to_have_js_property("naturalWidth", 1)
    await expect(row.get_by_role("button", name="Remove picture")).to_be_visible()
    await context.close()
    assert problems == []


@pytest.mark.parametrize(
    ("lang", "label"), [("en", "Your message"), ("da", "Din besked")], ids=["en", "da"]
)
async def test_the_customer_sees_the_agents_picture_instead_of_initials(
    chromium_browser: Browser,
    base_url: str,
    sofie: ConsoleAgent,
    maria: ConsoleAgent,
    service: Service,
    lang: str,
    label: str,
) -> None:
    context = await chromium_browser.new_context(viewport=PHONE)
    chat = await context.new_page()
    problems = _watch(chat)
    await chat.goto(f"{base_url}/?lang={lang}")
    await chat.get_by_label(label).fill("can I talk to a person")
    await chat.get_by_label(label).press("Enter")
    # The bot's answer (after its greeting) comes once the handoff is stored.
    await expect(chat.locator(".msg-bot").nth(1)).to_be_visible()
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    found = await service.store.agent_credentials(MARIA[0])
    assert found is not None
    agent_id = found[0].id
    uploaded = await sofie.client.post(
        f"/console/admin/agents/{agent_id}/avatar",
        data={"csrf": sofie.csrf},
        files={"picture": ("maria.png", PIXEL, "image/png")},
    )
    assert uploaded.status_code == 303
    await maria.act(conversation_id, "reply", text="Hi, Maria here", reply_id="r1")

    header = chat.locator("#chat-avatar img")
    await expect(header).to_have_js_property("naturalWidth", 1)
    beside = chat.locator(".msg-agent .who img")
    await expect(beside).to_have_js_property("naturalWidth", 1)
    await expect(chat.locator(".msg-agent .who").last).to_have_text(MARIA[2])
    width = await chat.evaluate("document.documentElement.scrollWidth")
    await context.close()
    assert (problems, width) == ([], PHONE["width"])
