"""Saved replies in the console: an agent's own, and the team ones admins manage."""

from __future__ import annotations

from bot.service.composition import Service
from tests.bot.web.conftest import ChatCustomer, ConsoleAgent


async def _save(agent: ConsoleAgent, shortcut: str, text: str, scope: str = "mine") -> int:
    response = await agent.client.post(
        "/console/saved-replies",
        data={"csrf": agent.csrf, "shortcut": shortcut, "text": text, "scope": scope},
    )
    return response.status_code


async def test_a_conversation_page_carries_the_replies_filled_in(
    maria: ConsoleAgent, queued: ChatCustomer, service: Service
) -> None:
    assert await _save(maria, "/Hello", "Hi {customer_name}, {agent_name} here.") == 303
    (entry,) = await service.store.queue()
    await maria.act(str(entry.conversation.id), "claim")  # the reply box is the owner's
    page = (await maria.client.get(f"/console/conversations/{entry.conversation.id}")).text
    name = f"web customer #{entry.customer.id}"
    assert f'<li data-shortcut="hello">Hi {name}, Maria here.</li>' in page


async def test_only_admins_save_team_replies(maria: ConsoleAgent, sofie: ConsoleAgent) -> None:
    assert await _save(maria, "vpn", "VPN help", scope="team:it-support") == 403
    assert await _save(sofie, "vpn", "VPN help", scope="team:it-support") == 303
    assert await _save(sofie, "vpn", "again", scope="team:it-support") == 409
    assert "/vpn" in (await maria.client.get("/console/saved-replies")).text


async def test_a_bad_shortcut_is_refused(maria: ConsoleAgent) -> None:
    assert await _save(maria, "two words", "text") == 422


async def test_an_agent_cannot_delete_a_team_reply(
    maria: ConsoleAgent, sofie: ConsoleAgent, service: Service
) -> None:
    await _save(sofie, "vpn", "VPN help", scope="team:it-support")
    (reply,) = await service.store.saved_replies()
    delete = f"/console/saved-replies/{reply.id}/delete"
    assert (await maria.client.post(delete, data={"csrf": maria.csrf})).status_code == 403
    assert (await sofie.client.post(delete, data={"csrf": sofie.csrf})).status_code == 303


async def test_another_teams_replies_are_neither_listed_nor_offered(
    maria: ConsoleAgent, queued: ChatCustomer, service: Service
) -> None:
    await service.store.add_saved_reply(
        shortcut="breach", text="Security will call you", team="security", actor="test"
    )
    (entry,) = await service.store.queue()
    await maria.act(str(entry.conversation.id), "claim")
    listed = (await maria.client.get("/console/saved-replies")).text
    page = (await maria.client.get(f"/console/conversations/{entry.conversation.id}")).text
    assert ("breach" in listed, 'data-shortcut="breach"' in page) == (False, False)
