"""Team-scoped reading over HTTP: an agent sees their teams' conversations, an admin
all of them, and a deployment setting opens every team's to every agent."""

from __future__ import annotations

from uuid import UUID

import pytest

from bot.service.composition import Service
from bot.settings.model import Settings, Team
from handoff.attachments import META_KEY, NewAttachment
from handoff.model import HandoffReason, NewMessage, SenderKind
from tests.bot.web.conftest import ConsoleAgent

pytestmark = pytest.mark.long

INCIDENT = "my laptop was stolen with the VPN token in it"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def read_all_teams() -> bool:
    """The deployment's ``console_read_all_teams`` (a test parametrizes it to True)."""
    return False


@pytest.fixture
def web_settings(web_settings: Settings, read_all_teams: bool) -> Settings:
    """The shared deployment with a security team that Maria and Jonas are not in."""
    teams = (*web_settings.teams, Team(id="security", name="Security"))
    return web_settings.model_copy(
        update={"teams": teams, "console_read_all_teams": read_all_teams}
    )


@pytest.fixture
async def incident(service: Service) -> UUID:
    """A conversation handed to the security team, waiting in the queue."""
    store = service.store
    customer = await store.upsert_customer(channel="telegram", external_id="31337")
    conversation = await store.open_conversation(customer.id)
    await store.append_message(
        conversation.id, NewMessage(sender=SenderKind.CUSTOMER, text=INCIDENT)
    )
    await store.request_handoff(
        conversation.id, reason=HandoffReason.CUSTOMER_ASKED, team="security"
    )
    return conversation.id


@pytest.fixture
async def incident_file(service: Service, incident: UUID) -> str:
    """A photo the customer sent with the incident; its address in the console."""
    store = service.store
    conversation = await store.get_conversation(incident)
    ref = await store.add_attachment(
        conversation.customer_id, NewAttachment.check(PNG, "laptop.png")
    )
    message, _ = await store.append_message(
        incident,
        NewMessage(sender=SenderKind.CUSTOMER, text=ref.name, meta={META_KEY: [ref.to_meta()]}),
    )
    await store.link_attachments(message.id, conversation.customer_id, [ref.id])
    return f"/console/attachments/{ref.id}"


async def _reads(agent: ConsoleAgent, conversation_id: UUID) -> tuple[int, int, bool]:
    """The conversation page's status, the transcript API's, and whether the inbox lists it."""
    page = await agent.client.get(f"/console/conversations/{conversation_id}")
    api = await agent.client.get(f"/console/api/conversations/{conversation_id}/messages")
    inbox = await agent.client.get("/console/api/inbox", params={"filter": "all"})
    listed = any(item["conversation_id"] == str(conversation_id) for item in inbox.json()["items"])
    return page.status_code, api.status_code, listed


async def _stream_status(agent: ConsoleAgent, conversation_id: UUID) -> int:
    params = {"conversation": str(conversation_id)}
    async with agent.client.stream("GET", "/console/api/events", params=params) as response:
        return response.status_code


async def test_an_agent_does_not_read_another_teams_conversation(
    maria: ConsoleAgent, incident: UUID
) -> None:
    assert await _reads(maria, incident) == (404, 404, False)
    assert await _stream_status(maria, incident) == 404


async def test_an_agent_cannot_claim_or_annotate_another_teams_conversation(
    maria: ConsoleAgent, incident: UUID, service: Service
) -> None:
    claim = await maria.act(str(incident), "claim")
    note = await maria.act(str(incident), "note", text="peeking")
    assert (claim.status_code, note.status_code) == (404, 404)
    assert (await service.store.get_conversation(incident)).owner_agent_id is None


@pytest.mark.real_socket  # an event stream over a real connection
async def test_an_admin_reads_every_team(sofie: ConsoleAgent, incident: UUID) -> None:
    assert await _reads(sofie, incident) == (200, 200, True)
    assert await _stream_status(sofie, incident) == 200


@pytest.mark.parametrize("read_all_teams", [True])
async def test_a_deployment_can_open_every_team_to_every_agent(
    maria: ConsoleAgent, incident: UUID
) -> None:
    assert await _reads(maria, incident) == (200, 200, True)


async def test_an_agent_does_not_read_another_teams_files(
    maria: ConsoleAgent, sofie: ConsoleAgent, incident_file: str
) -> None:
    refused = await maria.client.get(incident_file)
    served = await sofie.client.get(incident_file)
    assert (refused.status_code, served.status_code, served.content) == (404, 200, PNG)


@pytest.mark.parametrize("read_all_teams", [True])
async def test_opening_every_team_opens_their_files(
    maria: ConsoleAgent, incident_file: str
) -> None:
    assert (await maria.client.get(incident_file)).content == PNG
