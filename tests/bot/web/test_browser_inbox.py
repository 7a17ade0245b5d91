"""The console's live inbox in Debian's headless Chromium: alerts, typing, keys, phone size.

The browser's notification and audio APIs are the edge of the world here: an init script
records what the page asks of them (a headless browser shows and plays nothing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Dialog, Page, expect

from bot.service.composition import Service
from tests.bot.web.conftest import MARIA, NOT_ASKED_YET, VPN_QUESTION, ChatCustomer

pytestmark = [pytest.mark.browser, pytest.mark.long]

TIMEOUT_MS = 15_000

RECORD_ALERTS = """
window.__notifications = [];
window.__chimes = 0;
class RecordedNotification {
  constructor(title, options) { window.__notifications.push(title); this.options = options; }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
}
window.Notification = RecordedNotification;
const realOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__chimes += 1;
  return realOscillator.call(this);
};
"""


async def _log_in(context: BrowserContext, base_url: str) -> Page:
    page = await context.new_page()
    await page.goto(f"{base_url}/console/login")
    await page.get_by_label("Login").fill(MARIA[0])
    await page.get_by_label("Password").fill(MARIA[1])
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#inbox-list")).to_be_attached()
    return page


@pytest.fixture
async def inbox(chromium_browser: Browser, base_url: str) -> AsyncIterator[Page]:
    """Maria's inbox page, with the browser's notifications and audio recorded."""
    expect.set_options(timeout=TIMEOUT_MS)
    context = await chromium_browser.new_context(viewport={"width": 1280, "height": 860})
    await context.add_init_script(RECORD_ALERTS)
    yield await _log_in(context, base_url)
    await context.close()


async def _new_customer(http: httpx.AsyncClient) -> ChatCustomer:
    response = await http.post("/api/chat/session")
    response.raise_for_status()
    return ChatCustomer(http, response.json()["token"])


async def test_a_handoff_rings_notifies_and_counts_in_the_title(
    inbox: Page, customer: ChatCustomer
) -> None:
    await expect(inbox.locator("#inbox-empty")).to_be_visible()
    await customer.say(VPN_QUESTION)
    await customer.say("can I talk to a person")
    await expect(inbox.locator("#inbox-list .inbox-item.unread")).to_have_count(1)
    await expect(inbox).to_have_title("(1) Inbox · Helpline desk")
    assert await inbox.evaluate("window.__notifications") == ["New conversation: web customer #1"]
    assert await inbox.evaluate("window.__chimes") == 1


async def test_the_agent_sees_the_customer_typing(
    chromium_browser: Browser, base_url: str, service: Service
) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    customer_context = await chromium_browser.new_context()
    agent_context = await chromium_browser.new_context()
    try:
        customer = await customer_context.new_page()
        await customer.goto(f"{base_url}/")
        await customer.get_by_label("Your message").fill("can I talk to a person")
        await customer.get_by_label("Your message").press("Enter")
        await expect(customer.locator(".msg-bot .bubble").last).to_contain_text("queue")
        (entry,) = await service.store.queue()
        agent = await _log_in(agent_context, base_url)
        await agent.goto(f"{base_url}/console/conversations/{entry.conversation.id}")
        await agent.get_by_role("button", name="Claim").click()
        await expect(agent.locator("#customer-typing")).to_be_hidden()

        await customer.get_by_label("Your message").press_sequentially("It still fails")
        await expect(agent.locator("#customer-typing")).to_be_visible()
    finally:
        await customer_context.close()
        await agent_context.close()


async def test_j_k_and_enter_move_through_the_list_and_open(
    inbox: Page, http: httpx.AsyncClient
) -> None:
    for _ in range(2):
        await (await _new_customer(http)).say("can I talk to a person")
    await expect(inbox.locator("#inbox-list .inbox-item")).to_have_count(2)
    links = inbox.locator("#inbox-list .inbox-item a")
    await inbox.keyboard.press("j")
    await expect(links.nth(0)).to_be_focused()
    await inbox.keyboard.press("j")
    await expect(links.nth(1)).to_be_focused()
    await inbox.keyboard.press("k")
    await expect(links.nth(0)).to_be_focused()
    target = await links.nth(0).get_attribute("href")
    await inbox.keyboard.press("Enter")
    await expect(inbox).to_have_url(f"{inbox.url.split('/console')[0]}{target}")


async def test_resolve_asks_for_confirmation_first(inbox: Page, queued: ChatCustomer) -> None:
    await inbox.locator("#inbox-list a").first.click()
    await inbox.get_by_role("button", name="Claim").click()
    asked: list[str] = []

    async def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await dialog.accept()

    inbox.on("dialog", accept)
    await inbox.get_by_role("button", name="Resolve").click()
    await expect(inbox.locator("#state")).to_have_text("resolved")
    assert asked == ["Resolve this conversation? The customer is told it is closed."]


async def test_the_list_page_fits_a_phone(
    chromium_browser: Browser, base_url: str, queued: ChatCustomer
) -> None:
    expect.set_options(timeout=TIMEOUT_MS)
    context = await chromium_browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = await _log_in(context, base_url)
        await expect(page.locator("#inbox-list .inbox-item")).to_have_count(1)
        widths = await page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1]
    finally:
        await context.close()


async def test_a_saved_reply_is_inserted_with_a_slash_shortcut(
    inbox: Page, queued: ChatCustomer
) -> None:
    await inbox.goto(inbox.url.replace("/console", "/console/saved-replies"))
    await inbox.get_by_label("Shortcut").fill("thanks")
    await inbox.get_by_label("Text").fill("Thank you {customer_name}! {agent_name}")
    await inbox.get_by_role("button", name="Save reply").click()
    await inbox.goto(inbox.url.replace("/console/saved-replies", "/console"))
    await inbox.locator("#inbox-list a").first.click()
    await inbox.get_by_role("button", name="Claim").click()
    box = inbox.get_by_label("Reply to")
    await box.press_sequentially("/tha")
    menu = inbox.get_by_role("listbox", name="Saved replies").get_by_role("option")
    await expect(menu).to_have_text(["/thanks Thank you web customer #1! Maria"])
    await box.press("Enter")
    await expect(box).to_have_value("Thank you web customer #1! Maria")


#: WCAG's contrast ratio of an element's text to the first opaque background behind it.
CONTRAST = """
(element) => {
  const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const linear = [r, g, b].map((c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
  };
  let behind = element;
  while (behind && rgb(getComputedStyle(behind).backgroundColor)[3] === 0) {
    behind = behind.parentElement;
  }
  const back = behind ? rgb(getComputedStyle(behind).backgroundColor) : [255, 255, 255];
  const [light, dark] = [luminance(rgb(getComputedStyle(element).color)), luminance(back)]
    .sort((a, b) => b - a);
  return (light + 0.05) / (dark + 0.05);
}
"""


async def test_the_top_bar_links_and_the_alerts_button_are_readable(
    chromium_browser: Browser, base_url: str
) -> None:
    # The links of the dark top bar and the "Turn on desktop alerts" button on the light
    # page once shared one colour each that suited only the other background.
    expect.set_options(timeout=TIMEOUT_MS)
    context = await chromium_browser.new_context(viewport={"width": 1280, "height": 860})
    await context.add_init_script(NOT_ASKED_YET)
    page = await _log_in(context, base_url)
    await expect(page.locator("#enable-alerts")).to_be_visible()
    controls = [
        page.get_by_role("link", name="Saved replies"),
        page.get_by_role("button", name="Log out"),
        page.locator("#enable-alerts"),
    ]
    ratios = [round(await control.evaluate(CONTRAST), 1) for control in controls]
    await context.close()

    assert min(ratios) >= 4.5, ratios


async def test_the_side_panel_headings_sit_at_the_top_of_their_cards(
    inbox: Page, queued: ChatCustomer
) -> None:
    await inbox.locator("#inbox-list .inbox-item a").first.click()
    await expect(inbox.locator("#card-title")).to_be_visible()
    gaps = [
        await inbox.locator(f"#{heading}").evaluate(
            "h => h.getBoundingClientRect().top - h.parentElement.getBoundingClientRect().top"
        )
        for heading in ("customer-title", "card-title")
    ]

    # The card's padding (20px) and its border, not a page heading's margin on top.
    assert gaps == [21, 21]
