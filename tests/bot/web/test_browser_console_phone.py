"""The agent console at a phone's size (390 x 844, touch) in Debian's headless Chromium.

Every page fits the screen's width (nothing to scroll sideways), each form's labels sit
with their fields, the charts' text is readable, and the inbox speaks of its list as a
phone shows it (no keys to press, no list "on the left").
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, expect

from tests.bot.web.conftest import SOFIE, ChatCustomer, ConsoleAgent

pytestmark = pytest.mark.browser

TIMEOUT_MS = 15_000
PHONE = {"width": 390, "height": 844}
LONG_NOTICE = (
    "The printers on the second floor are out of order until the technician has been; "
    "print on the first floor meanwhile."
)
#: The smallest text a phone's reader is asked to read, in CSS pixels (a box's height).
READABLE_PX = 12

#: Each of a form's labels with its field's box, one [label, field] pair each.
LABELS_AND_FIELDS = """
(form) => [...form.querySelectorAll("label[for]")].map((label) => {
  const box = (node) => {
    const r = node.getBoundingClientRect();
    return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
  };
  return [box(label), box(document.getElementById(label.htmlFor))];
})
"""
#: The heights of the chart texts a reader sees.
CHART_TEXT_HEIGHTS = """
() => [...document.querySelectorAll(".chart text")]
  .filter((text) => text.getClientRects().length > 0)
  .map((text) => text.getBoundingClientRect().height)
"""


@pytest.fixture
async def phone(
    chromium_browser: Browser, base_url: str, sofie: ConsoleAgent, queued: ChatCustomer
) -> AsyncIterator[Page]:
    """Sofie (an admin) on the console on a phone, a customer waiting and a notice up."""
    expect.set_options(timeout=TIMEOUT_MS)
    notice = {"text_en": LONG_NOTICE, "text_da": "Printerne er nede.", "ends": "2h"}
    posted = await sofie.client.post("/console/admin/notices", data={"csrf": sofie.csrf, **notice})
    assert posted.status_code == 303, posted.text
    context = await chromium_browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await page.goto(f"{base_url}/console/login")
    await page.get_by_label("Login").fill(SOFIE[0])
    await page.get_by_label("Password").fill(SOFIE[1])
    await page.get_by_role("button", name="Log in").click()
    await expect(page.locator("#inbox-list .inbox-item")).to_have_count(1)
    yield page
    await context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/console",
        "conversation",
        "/console/admin/notices",
        "/console/admin/agents",
        "/console/admin/dashboard",
        "/console/saved-replies",
    ],
)
async def test_each_console_page_fits_a_phones_width(phone: Page, base_url: str, path: str) -> None:
    if path == "conversation":
        await phone.locator("#inbox-list .inbox-item a").first.click()
        await expect(phone.locator("#card-title")).to_be_visible()
    else:
        await phone.goto(f"{base_url}{path}")
    assert await phone.evaluate("document.documentElement.scrollWidth") == PHONE["width"]


@pytest.mark.parametrize(
    "path", ["/console/admin/notices", "/console/admin/agents"], ids=["notice", "agent"]
)
async def test_an_add_forms_labels_sit_right_above_their_fields(
    phone: Page, base_url: str, path: str
) -> None:
    await phone.goto(f"{base_url}{path}")
    pairs = await phone.locator("form.notice-form").evaluate(LABELS_AND_FIELDS)
    # Each label ends where its field starts (a few pixels above it), and both start at
    # the form's left edge: no label ends one line while its field starts the next.
    gaps = [
        (round(field["top"] - label["bottom"]), label["left"] == field["left"])
        for label, field in pairs
    ]
    assert len(pairs) >= 6
    assert all(0 <= gap <= 8 and aligned for gap, aligned in gaps), gaps


async def test_the_dashboards_charts_are_readable_on_a_phone(phone: Page, base_url: str) -> None:
    await phone.goto(f"{base_url}/console/admin/dashboard")
    heights = await phone.evaluate(CHART_TEXT_HEIGHTS)
    # Every other day of the eight the week touches, today's count, the reason and its count.
    assert len(heights) >= 7
    assert min(heights) >= READABLE_PX, heights


async def test_the_inbox_on_a_phone_offers_no_keys_and_no_left(phone: Page) -> None:
    await expect(phone.locator(".keys")).to_be_hidden()
    await expect(phone.locator(".inbox-main .muted")).to_contain_text(
        "Open a conversation from the list"
    )
    # On a phone the list is above the page's text, not beside it.
    list_box = await phone.locator("#inbox-list").bounding_box()
    text_box = await phone.locator("#inbox-title").bounding_box()
    assert list_box is not None
    assert text_box is not None
    assert list_box["y"] + list_box["height"] <= text_box["y"]
