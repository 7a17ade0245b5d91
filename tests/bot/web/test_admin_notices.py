"""The notices admin page over HTTP: an admin posts a notice, web customers see it."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.bot.web.conftest import VPN_QUESTION, ChatCustomer, ConsoleAgent

NOTICES = "/console/admin/notices"


async def post(agent: ConsoleAgent, **fields: str) -> httpx.Response:
    return await agent.client.post(NOTICES, data={"csrf": agent.csrf, **fields})


def bot_texts(answer: dict[str, object]) -> list[str]:
    messages = answer["messages"]
    assert isinstance(messages, list)
    return [m["text"] for m in messages if m["sender"] == "bot"]


async def test_a_posted_notice_reaches_a_new_web_customer_once(
    sofie: ConsoleAgent, customer: ChatCustomer
) -> None:
    posted = await post(
        sofie, text_en="Two colleagues are ill: you would be number {position}.", ends="2h"
    )
    assert posted.status_code == 303, posted.text
    first = await customer.say(VPN_QUESTION)
    again = await customer.say(VPN_QUESTION)
    assert "Two colleagues are ill: you would be number 1." in bot_texts(first)
    assert not any("Two colleagues" in text for text in bot_texts(again))


async def test_the_page_lists_the_notice_as_active(sofie: ConsoleAgent) -> None:
    await post(sofie, text_en="Printer queue is down", text_da="Printerkøen er nede", ends="1h")
    page = await sofie.client.get(NOTICES)
    assert page.status_code == 200
    assert re.search(r"<td[^>]*>1</td>\s*<td[^>]*>active</td>", page.text)
    assert "Printerkøen er nede" in page.text


async def test_an_ended_notice_is_not_shown_to_new_customers(
    sofie: ConsoleAgent, customer: ChatCustomer
) -> None:
    await post(sofie, text_en="Phones are down", ends="2h")
    ended = await sofie.client.post(f"{NOTICES}/1/end", data={"csrf": sofie.csrf})
    assert ended.status_code == 303
    answer = await customer.say(VPN_QUESTION)
    assert not any("Phones are down" in text for text in bot_texts(answer))


async def test_only_a_notice_that_has_not_ended_can_be_ended(sofie: ConsoleAgent) -> None:
    await post(sofie, text_en="Phones are down", ends="2h")
    await post(sofie, text_en="Later: the VPN is updated", starts="1h", ends="2h")
    await post(sofie, text_en="Printer queue is down", ends="2h")
    await sofie.client.post(f"{NOTICES}/1/end", data={"csrf": sofie.csrf})
    page = (await sofie.client.get(NOTICES)).text
    rows = re.findall(r"<td[^>]*>(\d+)</td>\s*<td[^>]*>(\w+)</td>", page)
    endable = re.findall(rf'action="{NOTICES}/(\d+)/end"', page)
    assert (sorted(rows), sorted(endable)) == (
        [("1", "ended"), ("2", "scheduled"), ("3", "active")],
        ["2", "3"],
    )


async def test_a_notice_for_telegram_is_not_shown_in_the_web_chat(
    sofie: ConsoleAgent, customer: ChatCustomer
) -> None:
    await post(sofie, text_en="Telegram is slow", ends="2h", channel="telegram")
    answer = await customer.say(VPN_QUESTION)
    assert not any("Telegram is slow" in text for text in bot_texts(answer))


async def test_a_notice_without_text_is_refused_with_a_reason(sofie: ConsoleAgent) -> None:
    response = await post(sofie, ends="2h")
    assert response.status_code == 422
    assert "a notice needs a text" in response.text


async def test_a_form_without_the_csrf_token_is_refused(sofie: ConsoleAgent) -> None:
    response = await sofie.client.post(NOTICES, data={"text_en": "Busy", "ends": "2h"})
    assert response.status_code == 403


@pytest.mark.parametrize("method", ["get", "post"])
async def test_agents_who_are_not_admins_are_turned_away(maria: ConsoleAgent, method: str) -> None:
    if method == "get":
        response = await maria.client.get(NOTICES)
    else:
        response = await post(maria, text_en="Busy", ends="2h")
    assert response.status_code == 403


async def test_a_logged_out_visitor_is_sent_to_the_login(logged_out: ConsoleAgent) -> None:
    response = await logged_out.client.get(NOTICES)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login"
