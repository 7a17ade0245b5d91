"""The console's desk features over HTTP: presence, card, transfers, hand back, filter."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from bot.service.composition import Service
from handoff.model import ConversationState, Presence
from tests.bot.web.conftest import JONAS, MARIA, VPN_QUESTION, ChatCustomer, ConsoleAgent


async def _queued_id(agent: ConsoleAgent) -> str:
    (entry,) = (await agent.queue())["queue"]
    conversation_id: str = entry["conversation_id"]
    return conversation_id


async def _agent_id(service: Service, login: str) -> int:
    found = await service.store.agent_credentials(login)
    assert found is not None
    return found[0].id


async def _set_presence(agent: ConsoleAgent, presence: str) -> int:
    response = await agent.client.post(
        "/console/presence", data={"csrf": agent.csrf, "presence": presence, "back": "/console"}
    )
    return response.status_code


async def test_the_presence_select_sets_presence(maria: ConsoleAgent, service: Service) -> None:
    assert await _set_presence(maria, "online") == 303
    agent = await service.store.get_agent(await _agent_id(service, MARIA[0]))
    assert agent.presence is Presence.ONLINE


async def test_an_unknown_presence_is_refused(maria: ConsoleAgent) -> None:
    assert await _set_presence(maria, "asleep") == 422


async def test_an_online_agent_gets_the_next_handoff_and_joins_on_opening_it(
    maria: ConsoleAgent, customer: ChatCustomer
) -> None:
    await _set_presence(maria, "online")
    await customer.say(VPN_QUESTION)
    await customer.say("can I talk to a person")
    texts = [message["text"] for message in await customer.messages()]
    assert not [t for t in texts if "has joined" in t]  # Maria has not looked yet
    (mine,) = (await maria.queue())["mine"]
    await maria.client.get(f"/console/conversations/{mine['conversation_id']}")
    texts = [message["text"] for message in await customer.messages()]
    assert texts[-1] == "Maria from IT support has joined the conversation."


async def test_coming_online_shows_what_was_assigned(
    maria: ConsoleAgent, queued: ChatCustomer
) -> None:
    response = await maria.client.post(
        "/console/presence", data={"csrf": maria.csrf, "presence": "online"}
    )
    assert response.headers["location"] == "/console?filter=mine&assigned=1"
    page = (await maria.client.get(response.headers["location"])).text
    assert 'id="assigned-notice"' in page
    texts = [message["text"] for message in await queued.messages()]
    assert not [t for t in texts if "has joined" in t]


async def test_the_conversation_page_leads_with_the_handoff_card(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    page = (await maria.client.get(f"/console/conversations/{conversation_id}")).text
    card = page[page.index('id="handoff-card"') : page.index('id="transcript"')]
    assert "the customer asked for a person" in card
    assert VPN_QUESTION.replace("'", "&#39;") in card
    assert "vpn-connect" in card


async def test_the_card_marks_the_question_that_led_to_the_handoff(
    customer: ChatCustomer, maria: ConsoleAgent
) -> None:
    await customer.say(VPN_QUESTION)
    await customer.say("what's the weather tomorrow")
    await customer.say("can I talk to a person")
    conversation_id = await _queued_id(maria)
    page = (await maria.client.get(f"/console/conversations/{conversation_id}")).text
    questions = page[
        page.index('id="card-questions"') : page.index("</ol>", page.index('id="card-questions"'))
    ]
    assert re.findall(r"<li[^>]*>(.*?)</li>", questions) == [
        "<strong>Led to the handoff:</strong> I can&#39;t connect to the VPN from home "
        '<span class="muted">· answered with vpn-connect</span>',
        'what&#39;s the weather tomorrow <span class="muted">· could not answer</span>',
    ]


async def test_transfer_to_a_colleague(
    queued: ChatCustomer, maria: ConsoleAgent, jonas: ConsoleAgent, service: Service
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    jonas_id = await _agent_id(service, JONAS[0])
    response = await maria.act(conversation_id, "transfer", to=f"agent:{jonas_id}")
    assert response.status_code == 303
    texts = [m["text"] for m in await queued.messages()]
    # Jonas is named when he looks, not before: he may not even be at his desk.
    assert texts[-1] == "Maria passed your conversation to a colleague, who will reply here."
    await jonas.client.get(f"/console/conversations/{conversation_id}")
    texts = [m["text"] for m in await queued.messages()]
    assert texts[-1] == "Jonas from IT support has joined the conversation."


async def test_transfer_to_a_team_queue(queued: ChatCustomer, maria: ConsoleAgent) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await maria.act(conversation_id, "transfer", to="team:it-support")
    assert response.status_code == 303
    assert [e["conversation_id"] for e in (await maria.queue())["queue"]] == [conversation_id]


async def test_transfer_of_someone_elses_conversation_is_refused(
    queued: ChatCustomer, maria: ConsoleAgent, jonas: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await jonas.act(conversation_id, "transfer", to="team:it-support")
    assert response.status_code == 409


async def test_hand_back_to_the_bot(
    queued: ChatCustomer, maria: ConsoleAgent, service: Service
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    response = await maria.act(conversation_id, "hand-back")
    assert response.status_code == 303
    conversations = await service.store.recent_conversations()
    assert (conversations[0].state, conversations[0].closed_at) == (ConversationState.BOT, None)


@pytest.mark.real_socket  # an event stream over a real connection
async def test_hand_back_answers_the_last_question_on_the_customers_event_stream(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    conversation_id = await _queued_id(maria)
    await maria.act(conversation_id, "claim")
    asked = await queued.say("also, how do I reset my password?")
    ticket = await queued.client.post("/api/chat/events/ticket", headers=queued.headers)
    params = {"ticket": ticket.json()["ticket"], "after": asked["messages"][-1]["id"]}
    pushed: list[dict[str, object]] = []
    async with queued.client.stream("GET", "/api/chat/events", params=params) as stream:
        lines = stream.aiter_lines()
        async with asyncio.timeout(10):
            assert (await anext(lines)).startswith(":")  # open before the hand back
            await maria.act(conversation_id, "hand-back")
            async for line in lines:
                if line.startswith("data: "):
                    pushed.append(json.loads(line.removeprefix("data: ")))
                if len(pushed) == 2:
                    break
    assert [(m["kind"], m["text"]) for m in pushed] == [
        ("handed_back", "You are back with the bot. About your last question:"),
        ("answer", "Go to https://password.example.org and choose **Forgot password**."),
    ]


async def test_the_queue_filter_shows_one_team_or_all(
    queued: ChatCustomer, maria: ConsoleAgent
) -> None:
    async def count(team: str) -> int:
        response = await maria.client.get("/console/api/queue", params={"team": team})
        return len(response.json()["queue"])

    assert [await count("mine"), await count("all"), await count("security")] == [1, 1, 0]


async def test_a_page_counts_as_activity_but_polling_does_not(
    maria: ConsoleAgent, service: Service
) -> None:
    agent_id = await _agent_id(service, MARIA[0])
    before = (await service.store.get_agent(agent_id)).last_seen_at
    await maria.queue()
    assert (await service.store.get_agent(agent_id)).last_seen_at == before
    await service.store.update_agent(agent_id, name="Maria")  # nothing to do with activity
    assert before is not None  # logging in and opening the console counted
