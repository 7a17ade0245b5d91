"""The customer web chat and its widget in Debian's headless Chromium, through Playwright.

The whole desk story (handoff, claim, live messages both ways, resolve, rating), what a
hostile customer's text does in the chat and in the console (nothing), the widget on an
ordinary site's page, reconnection, keyboard, phone size and Danish. The widget test takes
the README's ``widget.png`` (``make screenshots`` refreshes it).
"""

from __future__ import annotations

import asyncio
import base64
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    FrameLocator,
    Page,
    Route,
    expect,
)

from bot.settings.model import Settings
from tests.bot.web.conftest import MARIA, VPN_ANSWER, VPN_QUESTION, ChatCustomer, ConsoleAgent

pytestmark = [pytest.mark.browser, pytest.mark.long]

ROOT = Path(__file__).resolve().parents[3]
DEMO_PAGE = ROOT / "examples" / "it-helpdesk" / "widget-demo.html"
#: How the sample page loads the widget when Helpline serves it (a relative address).
WIDGET_LINE = 'src="/widget.js"'
#: The ordinary site that embeds the widget; Playwright serves its page. It is on
#: localhost because Chromium lets only a secure context (https, or localhost) with the
#: "local network access" permission reach a Helpline on 127.0.0.1.
SITE = "http://localhost:8000"
FLOOD_MESSAGES = 5
TIMEOUT_MS = 15_000
PASSWORD_QUESTION = "I forgot my password"
PASSWORD_LINK = "https://password.example.org/"
IMG_ATTACK = '<img src=x onerror="window.__pwned=1">'
LINK_ATTACKS = "javascript:alert(1) and [click](javascript:alert(1)) or https://example.org/help"


@pytest.fixture
def web_settings(web_settings: Settings) -> Settings:
    """The shared deployment, embeddable by the sample site, with a small flood limit, and
    serving the sample page itself at ``/demo``."""
    return web_settings.model_copy(
        update={
            "web_embed_origins": (SITE,),
            "web_flood_messages": FLOOD_MESSAGES,
            "web_demo_page": DEMO_PAGE,
        }
    )


@pytest.fixture(autouse=True)
def _expect_timeout() -> None:
    expect.set_options(timeout=TIMEOUT_MS)


class Watched:
    """A page with its script errors, CSP violations and dialogs recorded."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("dialog", self._on_dialog)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.problems.append(message.text)

    async def _on_dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()


async def _page(browser: Browser, **options: object) -> tuple[BrowserContext, Watched]:
    context = await browser.new_context(**options)  # type: ignore[arg-type]
    return context, Watched(await context.new_page())


async def _say(page: Page | FrameLocator, text: str, *, label: str = "Your message") -> None:
    await page.get_by_label(label).fill(text)
    await page.get_by_label(label).press("Enter")


async def _log_in(page: Page, base_url: str) -> None:
    await page.goto(f"{base_url}/console")
    await page.get_by_label("Login").fill(MARIA[0])
    await page.get_by_label("Password").fill(MARIA[1])
    await page.get_by_role("button", name="Log in").click()


async def _token(page: Page) -> str:
    token = await page.evaluate("localStorage.getItem('helpline.chat.token')")
    assert isinstance(token, str)
    return token


async def test_handoff_claim_live_messages_resolve_and_rating(
    chromium_browser: Browser, base_url: str
) -> None:
    customer_context, customer = await _page(
        chromium_browser, viewport={"width": 390, "height": 844}
    )
    agent_context, agent = await _page(chromium_browser, viewport={"width": 1280, "height": 860})
    chat, desk = customer.page, agent.page

    await chat.goto(f"{base_url}/")
    await _say(chat, VPN_QUESTION)
    await expect(chat.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)
    await _say(chat, "can I talk to a person")
    await expect(chat.locator(".msg-bot .bubble").last).to_contain_text("queue")

    await _log_in(desk, base_url)
    await desk.locator("#inbox-list a").first.click()
    await desk.get_by_role("button", name="Claim").click()
    await expect(chat.locator(".msg-system .bubble").last).to_contain_text(MARIA[2])

    # While Maria types, the customer is told so by name; her reply then arrives live.
    await desk.get_by_label("Reply to").press_sequentially("Hi, Maria here", delay=20)
    await expect(chat.locator("#typing")).to_have_text(f"{MARIA[2]} is typing…")
    await desk.get_by_role("button", name="Send reply").click()
    await expect(chat.locator(".msg-agent .bubble").last).to_have_text("Hi, Maria here")
    await expect(chat.locator("#typing")).to_be_hidden()

    await _say(chat, "Thanks, it works")
    await expect(desk.locator("#transcript .msg-customer").last).to_contain_text("Thanks, it works")

    async def confirm(dialog: Dialog) -> None:
        agent.dialogs.append(dialog.message)
        await dialog.accept()

    # Resolve asks first: this one dialog is accepted, any other is still refused.
    desk.remove_listener("dialog", agent._on_dialog)
    desk.once("dialog", confirm)
    await desk.get_by_role("button", name="Resolve").click()
    await expect(desk.locator("#state")).to_have_text("resolved")
    desk.on("dialog", agent._on_dialog)
    rating = chat.locator(".msg", has_text="How did we do?")
    await expect(rating.locator("button.quick")).to_have_count(5)
    await rating.get_by_role("button", name="5").click()
    await expect(chat.locator(".msg", has_text="Thank you for your rating")).to_have_count(1)

    await customer_context.close()
    await agent_context.close()
    assert customer.problems + agent.problems == []


async def test_hostile_customer_text_does_nothing_in_the_console(
    chromium_browser: Browser, base_url: str, customer: ChatCustomer
) -> None:
    await customer.say(IMG_ATTACK)
    await customer.say(LINK_ATTACKS)
    await customer.say("can I talk to a person")
    context, agent = await _page(chromium_browser)
    await _log_in(agent.page, base_url)
    await agent.page.locator("#inbox-list a").first.click()
    transcript = agent.page.locator("#transcript")

    await expect(transcript.locator("a")).to_have_count(1)  # console.js linkified the text
    assert await transcript.locator("a").get_attribute("href") == "https://example.org/help"
    await expect(transcript).to_contain_text(IMG_ATTACK)
    await expect(transcript.locator("img")).to_have_count(0)
    assert await agent.page.evaluate("window.__pwned") is None
    await context.close()
    assert agent.dialogs == []


async def test_hostile_customer_text_does_nothing_in_the_chat(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser)
    await customer.page.goto(f"{base_url}/")
    await _say(customer.page, IMG_ATTACK)
    await _say(customer.page, LINK_ATTACKS)
    mine = customer.page.locator(".msg-customer:not(.pending) .bubble")
    await expect(mine).to_have_text([IMG_ATTACK, LINK_ATTACKS])

    hrefs = await mine.locator("a").evaluate_all("as => as.map(a => a.href)")
    assert hrefs == ["https://example.org/help"]
    await expect(customer.page.locator("#messages img")).to_have_count(0)
    assert await customer.page.evaluate("window.__pwned") is None
    await context.close()
    assert customer.dialogs == []


def _demo_site(base_url: str) -> Callable[[Route], Awaitable[None]]:
    """The sample page on another site, its widget line naming Helpline's address."""
    page = DEMO_PAGE.read_text(encoding="utf-8")
    assert WIDGET_LINE in page
    page = page.replace(WIDGET_LINE, f'src="{base_url}/widget.js"')

    async def fulfill(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=page)

    return fulfill


async def test_widget_on_a_sites_page_answers_a_question(
    chromium_browser: Browser, base_url: str, screenshots: Path
) -> None:
    context, site = await _page(
        chromium_browser,
        viewport={"width": 1280, "height": 800},
        permissions=["local-network-access"],
    )
    await context.route(f"{SITE}/**", _demo_site(base_url))
    await site.page.goto(f"{SITE}/it-services")

    await site.page.get_by_role("button", name="Chat with support").click()
    chat = site.page.frame_locator("#helpline-frame")
    await expect(chat.get_by_label("Your message")).to_be_focused()
    await chat.get_by_label("Your message").fill(VPN_QUESTION)
    await chat.get_by_label("Your message").press("Enter")
    await expect(chat.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)

    await site.page.screenshot(path=str(screenshots / "widget.png"))
    await context.close()
    assert site.problems == []


@pytest.mark.parametrize(
    ("viewport", "lang", "launcher"),
    [
        ({"width": 1280, "height": 800}, "en", "Chat with support"),
        ({"width": 390, "height": 844}, "da", "Chat med support"),
    ],
    ids=["desktop-en", "phone-da"],
)
async def test_the_demo_page_served_by_helpline_answers_a_question(
    chromium_browser: Browser,
    base_url: str,
    viewport: dict[str, int],
    lang: str,
    launcher: str,
) -> None:
    context, site = await _page(chromium_browser, viewport=viewport)
    if lang != "en":
        # The page as a Danish site would have it: the widget follows its data-lang.
        await context.route(f"{base_url}/demo", _danish_demo)
    await site.page.goto(f"{base_url}/demo")

    await site.page.get_by_role("button", name=launcher).click()
    chat = site.page.frame_locator("#helpline-frame")
    await chat.get_by_role("textbox").fill(VPN_QUESTION)
    await chat.get_by_role("textbox").press("Enter")
    await expect(chat.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)
    width = await site.page.evaluate("document.documentElement.scrollWidth")
    await context.close()
    assert (site.problems, width) == ([], viewport["width"])


async def _danish_demo(route: Route) -> None:
    served = await route.fetch()
    page = (await served.text()).replace('data-lang="en"', 'data-lang="da"')
    await route.fulfill(response=served, body=page)


async def test_widget_closes_from_the_chat_and_gives_the_focus_back(
    chromium_browser: Browser, base_url: str
) -> None:
    context, site = await _page(chromium_browser, permissions=["local-network-access"])
    await context.route(f"{SITE}/**", _demo_site(base_url))
    await site.page.goto(f"{SITE}/")
    launcher = site.page.get_by_role("button", name="Chat with support")
    await launcher.click()
    await (
        site.page.frame_locator("#helpline-frame").get_by_role("button", name="Close chat").click()
    )

    await expect(site.page.locator("#helpline-frame")).to_be_hidden()
    await expect(launcher).to_be_focused()
    await context.close()


async def test_a_message_sent_offline_arrives_once_with_one_reply(
    chromium_browser: Browser, base_url: str, http: httpx.AsyncClient
) -> None:
    context, customer = await _page(chromium_browser)
    page = customer.page
    await page.goto(f"{base_url}/")
    await _say(page, VPN_QUESTION)
    await expect(page.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)

    await context.set_offline(True)
    await _say(page, PASSWORD_QUESTION)
    await expect(page.locator("#status")).to_contain_text("offline")
    await expect(page.locator(".msg-customer.pending")).to_have_count(1)
    await context.set_offline(False)

    await expect(page.locator(".msg-bot a")).to_have_attribute("href", PASSWORD_LINK)
    await expect(page.locator(".msg-customer:not(.pending)")).to_have_count(2)
    stored = await ChatCustomer(http, await _token(page)).messages()
    assert [m["text"] for m in stored if m["sender"] == "customer"] == [
        VPN_QUESTION,
        PASSWORD_QUESTION,
    ]
    await expect(page.locator(".msg")).to_have_count(1 + len(stored))  # greeting + stored
    await context.close()


async def test_the_bot_is_shown_typing_while_it_works(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser)
    answer = asyncio.Event()  # a slow answer, as on a busy day: it comes when the test says

    async def slow_post(route: Route) -> None:
        if route.request.method == "POST":
            await answer.wait()
        await route.continue_()

    await context.route("**/api/chat/messages", slow_post)
    await customer.page.goto(f"{base_url}/")
    await _say(customer.page, VPN_QUESTION)
    try:
        await expect(customer.page.get_by_role("status").filter(has_text="typing")).to_have_text(
            "Helpline is typing…"
        )
        await expect(customer.page.locator(".msg-bot code")).to_have_count(0)  # still waiting
    finally:
        answer.set()
    await expect(customer.page.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)
    await expect(customer.page.locator("#typing")).to_be_hidden()
    await context.close()


async def test_keyboard_enter_sends_and_shift_enter_breaks_the_line(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser)
    page = customer.page
    await page.goto(f"{base_url}/")
    box = page.get_by_role("textbox", name="Your message")
    await box.focus()
    await page.keyboard.type("first line")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("second line")
    await page.keyboard.press("Enter")

    await expect(page.locator(".msg-customer:not(.pending) .bubble br")).to_have_count(1)
    await expect(box).to_have_value("")
    await expect(box).to_be_focused()
    await context.close()


async def test_the_chat_has_named_regions_for_screen_readers(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser)
    await customer.page.goto(f"{base_url}/")
    log = customer.page.get_by_role("log", name="Conversation")
    await expect(log).to_have_attribute("aria-live", "polite")
    await expect(customer.page.get_by_role("textbox", name="Your message")).to_be_visible()
    await expect(customer.page.get_by_role("button", name="Send")).to_be_visible()
    await context.close()


async def test_the_chat_fits_a_phone_screen(chromium_browser: Browser, base_url: str) -> None:
    context, customer = await _page(
        chromium_browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = customer.page
    await page.goto(f"{base_url}/")
    await _say(page, PASSWORD_QUESTION)
    await expect(page.locator(".msg-bot a").last).to_have_attribute("href", PASSWORD_LINK)

    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await expect(page.get_by_role("button", name="Send")).to_be_in_viewport()
    await context.close()


async def test_the_chat_speaks_danish(chromium_browser: Browser, base_url: str) -> None:
    context, customer = await _page(chromium_browser, locale="en-US")
    page = customer.page
    await page.goto(f"{base_url}/?lang=da")
    await _say(page, "Jeg har glemt min adgangskode", label="Din besked")

    await expect(page.locator(".msg-bot .bubble").last).to_contain_text("Glemt adgangskode")
    await expect(page.get_by_role("button", name="Send")).to_be_visible()
    await expect(page.locator(".msg-bot .who").last).to_have_text("Helpline-bot")
    await context.close()


async def _speaks(chat: Page | FrameLocator, lang: str, words: dict[str, str]) -> None:
    """The chat's own words (its language, message box, bot's name, day) are ``lang``'s."""
    await expect(chat.locator("html")).to_have_attribute("lang", lang)
    await expect(chat.get_by_role("textbox")).to_have_attribute("placeholder", words["placeholder"])
    await expect(chat.locator(".msg-bot .who").last).to_have_text(words["bot"])
    await expect(chat.locator(".day").first).to_have_text(words["today"])


DANISH_WORDS = {"placeholder": "Skriv dit spørgsmål…", "bot": "Helpline-bot", "today": "I dag"}
ENGLISH_WORDS = {"placeholder": "Type your question…", "bot": "Helpline bot", "today": "Today"}


async def test_the_chat_follows_the_language_the_customer_writes(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser, viewport={"width": 390, "height": 844})
    page = customer.page
    await page.goto(f"{base_url}/?lang=en")
    await expect(page.get_by_role("textbox")).to_have_attribute(
        "placeholder", ENGLISH_WORDS["placeholder"]
    )
    await _say(page, "hej")
    await expect(page.locator(".msg-bot")).to_have_count(2)  # the greeting and the answer
    await _speaks(page, "da", DANISH_WORDS)
    await page.reload()
    await expect(page.locator(".msg-customer .bubble")).to_have_text(["hej"])
    await _speaks(page, "da", DANISH_WORDS)
    await context.close()
    assert customer.problems == []


async def _open_the_demo_widget(site: Watched, base_url: str) -> FrameLocator:
    """The widget on the service's demo page, opened by the customer; the chat's frame."""
    await site.page.goto(f"{base_url}/demo")
    await site.page.get_by_role("button", name="Chat with support").click()
    return site.page.frame_locator("#helpline-frame")


async def test_the_widget_follows_the_language_the_customer_writes(
    chromium_browser: Browser, base_url: str
) -> None:
    context, site = await _page(chromium_browser, viewport={"width": 390, "height": 844})
    chat = await _open_the_demo_widget(site, base_url)
    await chat.get_by_role("textbox").fill("hej")
    await chat.get_by_role("textbox").press("Enter")
    await expect(chat.locator(".msg-bot")).to_have_count(2)
    await _speaks(chat, "da", DANISH_WORDS)
    await context.close()
    assert site.problems == []


#: The bot's greeting, the first bubble before the customer's first message: the page's
#: own, never stored, so it follows the conversation's language (phrase ``greeting``).
ENGLISH_GREETING = "Hi! I'm the Helpline bot. Ask me a question, or ask for a person."
DANISH_GREETING = (
    "Hej! Jeg er Helpline-botten. Stil mig et spørgsmål, eller bed om at tale med en medarbejder."
)
DANISH_QUESTION = "min printer virker ikke"


@pytest.mark.parametrize(
    ("question", "lang", "greeting"),
    [(DANISH_QUESTION, "da", DANISH_GREETING), (VPN_QUESTION, "en", ENGLISH_GREETING)],
    ids=["danish", "english"],
)
async def test_the_greeting_is_in_the_conversations_language_also_after_a_reload(
    chromium_browser: Browser, base_url: str, question: str, lang: str, greeting: str
) -> None:
    context, customer = await _page(chromium_browser, viewport={"width": 390, "height": 844})
    page = customer.page
    await page.goto(f"{base_url}/")
    await expect(page.locator(".msg-bot .bubble").first).to_have_text(ENGLISH_GREETING)
    await _say(page, question)
    await expect(page.locator(".msg-bot")).to_have_count(2)  # the greeting and the answer
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.locator(".msg-bot .bubble").first).to_have_text(greeting)

    await page.reload()
    # The log is read (and with it the conversation's language) before it is shown.
    await expect(page.locator(".msg-customer .bubble")).to_have_text([question])
    await expect(page.locator(".msg-bot .bubble").first).to_have_text(greeting)
    await expect(page.locator(".msg-bot")).to_have_count(2)  # one greeting, not two
    await context.close()
    assert customer.problems == []


async def test_the_widgets_greeting_follows_the_language_across_a_reload_of_the_site(
    chromium_browser: Browser, base_url: str
) -> None:
    context, site = await _page(chromium_browser, viewport={"width": 390, "height": 844})
    chat = await _open_the_demo_widget(site, base_url)
    await expect(chat.locator(".msg-bot .bubble").first).to_have_text(ENGLISH_GREETING)
    await _say(chat, DANISH_QUESTION, label="Your message")
    await expect(chat.locator(".msg-bot")).to_have_count(2)
    await expect(chat.locator(".msg-bot .bubble").first).to_have_text(DANISH_GREETING)

    await site.page.reload()
    await site.page.get_by_role("button", name="Chat with support").click()
    await expect(chat.locator(".msg-customer .bubble")).to_have_text([DANISH_QUESTION])
    await expect(chat.locator(".msg-bot .bubble").first).to_have_text(DANISH_GREETING)
    await context.close()
    assert site.problems == []


async def test_the_chat_keeps_the_conversation_across_a_reload(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser)
    page = customer.page
    await page.goto(f"{base_url}/")
    await _say(page, VPN_QUESTION)
    await expect(page.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)
    await page.reload()

    await expect(page.locator(".msg-customer .bubble")).to_have_text([VPN_QUESTION])
    await expect(page.locator(".msg-bot code")).to_have_text([VPN_ANSWER])
    await context.close()


async def test_the_chat_asks_a_flooding_customer_to_wait(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser)
    page = customer.page
    await page.goto(f"{base_url}/")
    for number in range(FLOOD_MESSAGES + 1):
        await _say(page, f"question number {number}")

    await expect(page.locator("#status")).to_contain_text("Please wait a moment")
    await expect(page.get_by_label("Your message")).to_have_value(
        f"question number {FLOOD_MESSAGES}"
    )
    await expect(page.locator(".msg-customer")).to_have_count(FLOOD_MESSAGES)
    await context.close()


async def test_widget_keeps_the_conversation_across_a_reload_of_the_site(
    chromium_browser: Browser, base_url: str
) -> None:
    context, site = await _page(chromium_browser, permissions=["local-network-access"])
    await context.route(f"{SITE}/**", _demo_site(base_url))
    await site.page.goto(f"{SITE}/")
    await site.page.get_by_role("button", name="Chat with support").click()
    chat = site.page.frame_locator("#helpline-frame")
    await chat.get_by_label("Your message").fill(VPN_QUESTION)
    await chat.get_by_label("Your message").press("Enter")
    await expect(chat.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)

    await site.page.reload()
    await site.page.get_by_role("button", name="Chat with support").click()
    await expect(chat.locator(".msg-customer .bubble")).to_have_text([VPN_QUESTION])
    await context.close()


BOLD_LINK_REPLY = "Reset it at **https://password.example.org** please"


async def _as_customer(browser: Browser, base_url: str, token: str, **options: object) -> Watched:
    """The chat page of a customer whose conversation already exists (their token)."""
    context, customer = await _page(browser, **options)
    await context.add_init_script(f"localStorage.setItem('helpline.chat.token', '{token}')")
    await customer.page.goto(f"{base_url}/")
    return customer


async def test_a_bold_link_in_an_answer_is_clickable_in_chat_and_console(
    chromium_browser: Browser, base_url: str, queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text=BOLD_LINK_REPLY)
    customer = await _as_customer(chromium_browser, base_url, queued.token)
    chat = customer.page
    await chat.context.route(
        "https://password.example.org/**",
        lambda route: route.fulfill(status=200, content_type="text/html", body="<p>reset</p>"),
    )
    link = chat.locator(".msg-agent .bubble strong a")
    await expect(link).to_have_attribute("href", PASSWORD_LINK)
    async with chat.context.expect_page() as opened:
        await link.click()
    assert (await opened.value).url == PASSWORD_LINK

    agent_context, agent = await _page(chromium_browser)
    await _log_in(agent.page, base_url)
    await agent.page.goto(f"{base_url}/console/conversations/{conversation_id}")
    transcript = agent.page.locator("#transcript")
    await expect(transcript.locator(".msg-agent strong a")).to_have_js_property(
        "href", PASSWORD_LINK
    )
    # A message arriving while the page is open is formatted the same way.
    await queued.say("is it **https://password.example.org** or another address?")
    await expect(transcript.locator(".msg-customer strong a")).to_have_js_property(
        "href", PASSWORD_LINK
    )
    await chat.context.close()
    await agent_context.close()
    assert customer.problems + agent.problems == []


async def _ask_for_a_person_in_the_widget(site: Watched) -> FrameLocator:
    """Open the widget on the site's page and ask for a person; the chat's frame, once the
    bot has said the customer is in the queue."""
    await site.page.locator("#helpline-launcher").click()
    chat = site.page.frame_locator("#helpline-frame")
    await _say(chat, "can I talk to a person")
    await expect(chat.locator(".msg-bot .bubble").last).to_contain_text("queue")
    return chat


async def test_the_widget_counts_replies_that_arrive_while_it_is_closed(
    chromium_browser: Browser, base_url: str, maria: ConsoleAgent
) -> None:
    context, site = await _page(chromium_browser, permissions=["local-network-access"])
    await context.route(f"{SITE}/**", _demo_site(base_url))
    await site.page.goto(f"{SITE}/")
    title = await site.page.title()
    launcher = site.page.locator("#helpline-launcher")
    chat = await _ask_for_a_person_in_the_widget(site)
    await chat.get_by_role("button", name="Close chat").click()

    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Hi, Maria here")
    badge = site.page.locator("#helpline-unread")
    await expect(badge).to_have_text("2")  # "Maria has joined" and her reply
    await expect(launcher).to_have_accessible_name("Chat with support (2 unread)")
    await site.page.wait_for_function("document.title.includes('New message from support')")

    await launcher.click()
    await expect(badge).to_be_hidden()
    await expect(chat.locator("#chat-title")).to_have_text(MARIA[2])
    await expect(chat.locator("#chat-avatar")).to_have_text("M")
    assert await site.page.title() == title
    await context.close()
    assert site.problems == []


# The site's page takes its time over what the chat frame tells it (a busy phone): it
# handles the frame's messages (close, unread counts) only once the test lets it, then
# as they come.
SLOW_SITE = """
if (window.top === window) {
  let held = [];
  const listen = window.addEventListener.bind(window);
  const later = (listener) => (event) =>
    held ? held.push(() => listener(event)) : listener(event);
  window.addEventListener = (type, listener, options) =>
    listen(type, type === "message" ? later(listener) : listener, options);
  window.__deliver = () => {
    const waiting = held;
    held = null;
    waiting.forEach((handle) => handle());
  };
}
"""


async def test_replies_count_as_unread_from_the_moment_the_customer_closes_the_chat(
    chromium_browser: Browser, base_url: str, maria: ConsoleAgent
) -> None:
    context, site = await _page(chromium_browser, permissions=["local-network-access"])
    await context.add_init_script(SLOW_SITE)
    await context.route(f"{SITE}/**", _demo_site(base_url))
    await site.page.goto(f"{SITE}/")
    chat = await _ask_for_a_person_in_the_widget(site)
    await chat.get_by_role("button", name="Close chat").click()

    # Maria joins and replies while the page has not yet hidden the chat.
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Hi, Maria here")
    await expect(chat.locator(".msg-agent .bubble").last).to_contain_text("Maria here")
    await expect(site.page.locator("#helpline-frame")).to_be_visible()
    await site.page.evaluate("window.__deliver()")

    await expect(site.page.locator("#helpline-frame")).to_be_hidden()
    await expect(site.page.locator("#helpline-unread")).to_have_text("2")
    await context.close()
    assert site.problems == []


async def test_after_a_reload_the_closed_widget_still_counts_replies(
    chromium_browser: Browser, base_url: str, maria: ConsoleAgent
) -> None:
    context, site = await _page(chromium_browser, permissions=["local-network-access"])
    await context.route(f"{SITE}/**", _demo_site(base_url))
    await site.page.goto(f"{SITE}/")
    launcher = site.page.locator("#helpline-launcher")
    chat = await _ask_for_a_person_in_the_widget(site)

    # The customer browses on: a new page of the site, the chat never opened on it.
    await site.page.reload()
    await expect(site.page.locator("#helpline-frame")).to_be_hidden()
    await expect(chat.locator(".msg-customer .bubble")).to_have_text(["can I talk to a person"])
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "reply", text="Hi, Maria here")

    badge = site.page.locator("#helpline-unread")
    await expect(badge).to_have_text("2")  # "Maria has joined" and her reply
    await launcher.click()
    await expect(badge).to_be_hidden()
    await expect(chat.locator(".msg-agent .bubble").last).to_have_text("Hi, Maria here")
    await context.close()
    assert site.problems == []


async def test_answered_quick_replies_are_disabled_and_a_new_conversation_can_start(
    chromium_browser: Browser, base_url: str, queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = (await maria.queue())["queue"][0]["conversation_id"]
    await maria.act(conversation_id, "claim")
    await maria.act(conversation_id, "resolve")
    customer = await _as_customer(chromium_browser, base_url, queued.token)
    page = customer.page
    await expect(page.locator(".day")).to_have_text(["Today"])
    rating = page.locator(".msg", has_text="How did we do?").locator("button.quick")
    await expect(rating).to_have_count(5)
    await expect(page.locator("#chat-title")).to_have_text("Helpline")
    new = page.get_by_role("button", name="Start a new conversation")
    await expect(new).to_be_visible()

    await rating.get_by_text("5", exact=True).click()
    await expect(page.locator(".msg", has_text="Thank you for your rating")).to_have_count(1)
    for index in range(5):
        await expect(rating.nth(index)).to_be_disabled()
    await new.click()
    await expect(page.locator(".msg")).to_have_count(1)  # the greeting, nothing else
    await expect(new).to_be_hidden()
    await _say(page, VPN_QUESTION)
    await expect(page.locator(".msg-bot code").last).to_have_text(VPN_ANSWER)
    assert await _token(page) != queued.token
    await page.context.close()
    assert customer.problems == []


#: A real one-pixel PNG: the browser has to decode it for the preview to show.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
LOADED = "img => img.complete && img.naturalWidth > 0"


async def test_a_picture_travels_from_customer_to_agent_and_back(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser, viewport={"width": 390, "height": 844})
    chat = customer.page
    await chat.goto(f"{base_url}/")
    await _say(chat, "can I talk to a person")
    await expect(chat.locator(".msg-bot .bubble").last).to_contain_text("queue")
    await chat.locator("#attach-file").set_input_files(
        files=[{"name": "error.png", "mimeType": "image/png", "buffer": PIXEL}]
    )
    mine = chat.locator(".msg-customer img.preview")
    await expect(mine).to_have_attribute("alt", "error.png")
    # Shown from a copy fetched with the conversation token: the address alone opens nothing.
    await expect(mine).to_have_js_property("naturalWidth", 1)
    assert (await mine.get_attribute("src") or "").startswith("blob:")

    agent_context, agent = await _page(chromium_browser, viewport={"width": 1280, "height": 860})
    desk = agent.page
    await _log_in(desk, base_url)
    await desk.locator("#inbox-list a").first.click()
    await desk.get_by_role("button", name="Claim").click()
    seen = desk.locator("#transcript .msg-customer img.preview")
    await expect(seen).to_have_attribute("alt", "error.png")
    assert await seen.evaluate(LOADED)

    await desk.get_by_label("Attach a picture or a PDF").set_input_files(
        files=[{"name": "steps.png", "mimeType": "image/png", "buffer": PIXEL}]
    )
    await desk.get_by_role("button", name="Send reply").click()
    theirs = chat.locator(".msg-agent img.preview")
    await expect(theirs).to_have_attribute("alt", "steps.png")
    await expect(theirs).to_be_visible()
    await expect(theirs).to_have_js_property("naturalWidth", 1)
    assert await chat.evaluate("document.documentElement.scrollWidth") <= 390

    await context.close()
    await agent_context.close()
    assert customer.problems + agent.problems == []


async def test_a_pdf_in_the_chat_downloads_under_its_name(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser, accept_downloads=True)
    page = customer.page
    await page.goto(f"{base_url}/")
    pdf = b"%PDF-1.7\n" + b"0" * 64
    await page.locator("#attach-file").set_input_files(
        files=[{"name": "form.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    link = page.locator(".msg-customer a.file")
    await expect(link).to_have_attribute("href", re.compile("^blob:"))
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    saved = await download.path()
    assert (download.suggested_filename, saved.read_bytes()) == ("form.pdf", pdf)
    await context.close()
    assert customer.problems == []


async def test_the_chat_says_why_a_file_was_refused(
    chromium_browser: Browser, base_url: str
) -> None:
    context, customer = await _page(chromium_browser)
    page = customer.page
    await page.goto(f"{base_url}/")
    await page.locator("#attach-file").set_input_files(
        files=[{"name": "error.png", "mimeType": "image/png", "buffer": b"<html>not a picture"}]
    )
    await expect(page.locator("#status")).to_have_text(
        "Only pictures (PNG, JPEG, GIF, WebP) and PDF files can be sent."
    )
    await expect(page.locator(".msg-customer")).to_have_count(0)
    await context.close()
