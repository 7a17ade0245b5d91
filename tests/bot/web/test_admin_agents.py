"""The agents admin page over HTTP: admins add, change and deactivate agents."""

from __future__ import annotations

import pytest

from bot.service.composition import Service
from tests.bot.web.conftest import MARIA, Connect, ConsoleAgent

AGENTS = "/console/admin/agents"


async def _id(service: Service, login: str) -> int:
    found = await service.store.agent_credentials(login)
    assert found is not None
    return found[0].id


async def test_an_agent_who_is_not_admin_gets_403(maria: ConsoleAgent) -> None:
    assert (await maria.client.get(AGENTS)).status_code == 403


async def test_the_page_lists_the_agents(sofie: ConsoleAgent) -> None:
    page = (await sofie.client.get(AGENTS)).text
    assert f'<tr data-login="{MARIA[0]}">' in page
    assert 'value="it-support"' in page


async def test_an_added_agent_can_log_in(sofie: ConsoleAgent, connect: Connect) -> None:
    fields = {"login": "ok-2041", "name": "Ole", "password": "ole-secret", "teams": "it-support"}
    added = await sofie.client.post(AGENTS, data={"csrf": sofie.csrf, **fields, "capacity": "2"})
    assert added.status_code == 303, added.text
    async with connect() as client:
        assert (await ConsoleAgent(client).login("ok-2041", "ole-secret")).status_code == 303


async def test_adding_without_the_csrf_token_is_refused(sofie: ConsoleAgent) -> None:
    fields = {"login": "ole", "name": "Ole", "password": "ole-secret", "capacity": "2"}
    assert (await sofie.client.post(AGENTS, data=fields)).status_code == 403


async def test_a_duplicate_login_is_refused(sofie: ConsoleAgent) -> None:
    fields = {"login": MARIA[0], "name": "Mia", "password": "x", "capacity": "2"}
    response = await sofie.client.post(AGENTS, data={"csrf": sofie.csrf, **fields})
    assert response.status_code == 409
    assert "exists already" in response.text


@pytest.mark.parametrize("name", ["Ole", "Ole Kirk"])
async def test_a_login_spelled_like_the_name_customers_see_is_refused(
    sofie: ConsoleAgent, service: Service, name: str
) -> None:
    fields = {"login": "Ole.K", "name": name, "password": "ole-secret", "capacity": "2"}
    response = await sofie.client.post(AGENTS, data={"csrf": sofie.csrf, **fields})
    assert (response.status_code, "the login must not contain it" in response.text) == (422, True)
    assert await service.store.agent_credentials("Ole.K") is None


async def test_the_name_customers_see_changes_and_stays_apart_from_the_login(
    sofie: ConsoleAgent, service: Service
) -> None:
    maria_id = await _id(service, MARIA[0])
    fields = {"csrf": sofie.csrf, "teams": "it-support", "capacity": "3", "telegram_user": ""}
    renamed = await sofie.client.post(f"{AGENTS}/{maria_id}", data={**fields, "name": "Mia"})
    # A name that spells the login (mh-4711) would show customers the login.
    refused = await sofie.client.post(f"{AGENTS}/{maria_id}", data={**fields, "name": "MH 4711"})
    assert (renamed.status_code, refused.status_code) == (303, 422)
    assert (await service.store.get_agent(maria_id)).name == "Mia"


async def test_teams_capacity_admin_and_telegram_user_change(
    sofie: ConsoleAgent, service: Service
) -> None:
    maria_id = await _id(service, MARIA[0])
    fields = {"teams": "", "languages": "da, en", "capacity": "5", "is_admin": "yes"}
    response = await sofie.client.post(
        f"{AGENTS}/{maria_id}", data={"csrf": sofie.csrf, **fields, "telegram_user": "4242"}
    )
    assert response.status_code == 303, response.text
    maria = await service.store.get_agent(maria_id)
    assert (maria.teams, maria.languages, maria.capacity, maria.is_admin) == (
        (),
        ("da", "en"),
        5,
        True,
    )
    assert await service.store.telegram_user_ids() == {maria_id: 4242}


async def test_an_unknown_team_is_refused(sofie: ConsoleAgent, service: Service) -> None:
    maria_id = await _id(service, MARIA[0])
    fields = {"csrf": sofie.csrf, "teams": "payroll", "capacity": "3", "telegram_user": ""}
    response = await sofie.client.post(f"{AGENTS}/{maria_id}", data=fields)
    assert response.status_code == 422
    assert "Unknown team: payroll." in response.text


async def test_a_deactivated_agent_cannot_log_in(
    sofie: ConsoleAgent, service: Service, connect: Connect
) -> None:
    maria_id = await _id(service, MARIA[0])
    response = await sofie.client.post(
        f"{AGENTS}/{maria_id}/active", data={"csrf": sofie.csrf, "active": "no"}
    )
    assert response.status_code == 303
    async with connect() as client:
        assert (await ConsoleAgent(client).login(MARIA[0], MARIA[1])).status_code == 401


async def test_an_admin_cannot_deactivate_themself(sofie: ConsoleAgent, service: Service) -> None:
    sofie_id = await _id(service, "sofie")
    response = await sofie.client.post(
        f"{AGENTS}/{sofie_id}/active", data={"csrf": sofie.csrf, "active": "no"}
    )
    assert response.status_code == 422
